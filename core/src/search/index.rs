//! The in-memory name index: names and aliases of records, searchable across spelling
//! variants.
//!
//! Layout: every distinct token (by normalised spelling) of every stored name is a
//! *term*, with a posting list of the names containing it. Terms are found from a
//! query token through lookup keys in the manner of SymSpell: the term's phonetic
//! form, its normalised spelling and each of their single-byte deletions, and its
//! consonant skeleton (plus its deletions when at least four long). Two forms within
//! one edit of each other share a key, and so do forms that differ only in vowels.
//! The candidate terms are then scored against the query token one by one, which is
//! cheap because there are far fewer distinct terms than names.
//!
//! A search then scores only the names reached through matching terms, in two steps:
//! an upper bound from the best match of each query token, then, for the names whose
//! bound reaches [`SearchIndex::MIN_SCORE`], the exact score, which is exactly
//! [`name_similarity`](super::name_similarity) of the query and that name. Compact
//! copies of each name's term ids and of each term's weight keep that second step to
//! about one cache miss per name.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use zeroize::Zeroize;

use super::names::{self, TOKEN_MATCH, TokenForm, UNMATCHED_QUERY};
use crate::ids::RecordId;

/// Queries are cut to this many bytes.
const QUERY_MAX_BYTES: usize = 256;
/// Queries are cut to this many tokens (at most 8: query tokens are bits of a `u8`).
const QUERY_MAX_TOKENS: usize = 8;
/// Stored names are cut to this many bytes.
const NAME_MAX_BYTES: usize = 512;
/// Stored names are cut to this many tokens.
const NAME_MAX_TOKENS: usize = 16;
/// Names beyond this many per entry are ignored.
const MAX_NAMES_PER_ENTRY: usize = 32;
/// Term ids of a name kept in the compact per-name array; longer names are read from
/// their slot.
const INLINE_TERMS: usize = 4;

/// One search result.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The entry found.
    pub key: RecordId,
    /// How well it matches, in `SearchIndex::MIN_SCORE..=1.0`: the
    /// [`name_similarity`](super::name_similarity) of the query and that name.
    pub score: f32,
    /// Which of the entry's names matched best: an index into the `names` slice given
    /// to [`SearchIndex::set`].
    pub name: usize,
}

/// A distinct token of the stored names.
struct Term {
    form: TokenForm,
    /// Ids of the names containing this term, each once.
    postings: Vec<u32>,
}

/// One stored name of an entry.
struct NameSlot {
    key: RecordId,
    /// Position in the names given to `set`.
    index: usize,
    /// The name's tokens, as term ids, in order.
    terms: Vec<u32>,
}

/// An in-memory index from names (and aliases) to record ids, searchable by
/// similar-sounding or misspelt names; see [`name_similarity`](super::name_similarity)
/// for what counts as similar.
///
/// Names are never written anywhere: the index holds, in memory, only normalised
/// forms of their tokens, and zeroizes every buffer of them when dropped. Its `Debug`
/// output shows only the number of entries.
///
/// Search cost depends on how many stored names share tokens with the query, not on
/// the size of the index: no name is scored unless one of its tokens matches.
pub struct SearchIndex {
    entries: HashMap<RecordId, Vec<u32>>,
    /// By name id; `None` for free ids.
    names: Vec<Option<NameSlot>>,
    /// By name id: the first `INLINE_TERMS` term ids.
    name_terms: Vec<[u32; INLINE_TERMS]>,
    /// By name id: the number of tokens, 0 for free ids.
    name_len: Vec<u8>,
    free_names: Vec<u32>,
    /// By term id; `None` for free ids.
    terms: Vec<Option<Term>>,
    /// By term id: its weight (`TokenForm::weight`).
    term_weight: Vec<f32>,
    free_terms: Vec<u32>,
    /// Normalised spelling to term id.
    term_ids: HashMap<Vec<u8>, u32>,
    /// Lookup key to the ids of the terms having it.
    lookup: HashMap<Vec<u8>, Vec<u32>>,
}

impl SearchIndex {
    /// Hits score at least this. With the scoring of
    /// [`name_similarity`](super::name_similarity) that means, for example: a
    /// one-token query matching one token of a two-token name (`Lakshmi` finds
    /// `Lakshmi Sharma`, 0.8); a full name matching a record that lacks the surname
    /// (`Lakshmi Sharma` finds `Lakshmi`, 0.67). Two names sharing only a common word
    /// such as `Devi`, or only one of two ordinary tokens (`Lakshmi Sharma` and
    /// `Lakshmi Gupta`, 0.57), are not hits; but `Lakshmi Devi` finds
    /// `Lakshmi Kumari` (0.77), because `Devi` and `Kumari` weigh little.
    pub const MIN_SCORE: f32 = 0.6;

    /// An empty index.
    pub fn new() -> Self {
        Self {
            entries: HashMap::new(),
            names: Vec::new(),
            name_terms: Vec::new(),
            name_len: Vec::new(),
            free_names: Vec::new(),
            terms: Vec::new(),
            term_weight: Vec::new(),
            free_terms: Vec::new(),
            term_ids: HashMap::new(),
            lookup: HashMap::new(),
        }
    }

    /// Sets the names (name and aliases) of `key`, replacing any it had. Names
    /// without letters are ignored but keep their position for [`Hit::name`]; if no
    /// name is left the entry is removed. Each name is cut to 512 bytes and 16
    /// tokens, and names after the 32nd are ignored.
    pub fn set(&mut self, key: RecordId, names: &[&str]) {
        self.remove(key);
        let mut ids = Vec::new();
        for (index, name) in names.iter().enumerate().take(MAX_NAMES_PER_ENTRY) {
            let forms = names::name_forms(name, NAME_MAX_BYTES, NAME_MAX_TOKENS);
            if forms.is_empty() {
                continue;
            }
            let terms: Vec<u32> = forms.iter().map(|f| self.intern(f)).collect();
            let id = match self.free_names.pop() {
                Some(id) => id,
                None => {
                    self.names.push(None);
                    self.name_terms.push([u32::MAX; INLINE_TERMS]);
                    self.name_len.push(0);
                    (self.names.len() - 1) as u32
                }
            };
            let mut distinct = terms.clone();
            distinct.sort_unstable();
            distinct.dedup();
            for t in distinct {
                if let Some(Some(term)) = self.terms.get_mut(t as usize) {
                    term.postings.push(id);
                }
            }
            let n = id as usize;
            let mut inline = [u32::MAX; INLINE_TERMS];
            for (slot, &t) in inline.iter_mut().zip(&terms) {
                *slot = t;
            }
            self.name_terms[n] = inline;
            self.name_len[n] = terms.len().min(usize::from(u8::MAX)) as u8;
            self.names[n] = Some(NameSlot { key, index, terms });
            ids.push(id);
        }
        if !ids.is_empty() {
            self.entries.insert(key, ids);
        }
    }

    /// Removes `key` and all its names; nothing happens if it is absent.
    pub fn remove(&mut self, key: RecordId) {
        let Some(ids) = self.entries.remove(&key) else {
            return;
        };
        for id in ids {
            let n = id as usize;
            let Some(slot) = self.names.get_mut(n).and_then(Option::take) else {
                continue;
            };
            self.name_terms[n] = [u32::MAX; INLINE_TERMS];
            self.name_len[n] = 0;
            let mut distinct = slot.terms;
            distinct.sort_unstable();
            distinct.dedup();
            for t in distinct {
                let emptied = match self.terms.get_mut(t as usize) {
                    Some(Some(term)) => {
                        if let Some(p) = term.postings.iter().position(|&x| x == id) {
                            term.postings.swap_remove(p);
                        }
                        term.postings.is_empty()
                    }
                    _ => false,
                };
                if emptied {
                    self.retire(t);
                }
            }
            self.free_names.push(id);
        }
    }

    /// The number of entries (keys), not of names.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entries whose names best match `query`, best first, at most `limit` of
    /// them, each once (with its best-matching name), all scoring at least
    /// [`MIN_SCORE`](Self::MIN_SCORE). Equal scores come in a deterministic but
    /// unspecified order. The query is cut to 256 bytes and 8 tokens; a query without
    /// letters finds nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        if limit == 0 || self.entries.is_empty() {
            return Vec::new();
        }
        let forms = names::name_forms(query, QUERY_MAX_BYTES, QUERY_MAX_TOKENS);
        if forms.is_empty() {
            return Vec::new();
        }
        let wa = names::query_weights(&forms);

        // Matching terms of each query token, best first.
        let matches: Vec<Vec<(u32, f32)>> = forms.iter().map(|f| self.similar_terms(f)).collect();

        // Per name: weighted sum of the best similarity of each query token, and which
        // query tokens matched at all. Terms come best first, so the first hit of a
        // query token on a name is its best.
        let reach: usize = matches
            .iter()
            .flatten()
            .filter_map(|&(t, _)| self.term(t))
            .map(|t| t.postings.len())
            .sum();
        let mut bound: FastMap<u32, (f32, u8)> = FastMap::default();
        bound.reserve(reach.min(1 << 16));
        for (i, list) in matches.iter().enumerate() {
            let bit = 1u8 << i;
            for &(t, s) in list {
                let Some(term) = self.term(t) else { continue };
                for &name in &term.postings {
                    let e = bound.entry(name).or_insert((0.0, 0));
                    if e.1 & bit == 0 {
                        e.1 |= bit;
                        e.0 += wa[i] * s;
                    }
                }
            }
        }

        // Similarity to each query token by term id, for exact scoring.
        let mut by_term: FastMap<u32, [f32; QUERY_MAX_TOKENS]> = FastMap::default();
        for (i, list) in matches.iter().enumerate() {
            for &(t, s) in list {
                by_term.entry(t).or_insert([0.0; QUERY_MAX_TOKENS])[i] = s;
            }
        }
        let total: f32 = wa.iter().sum();
        let mut scored: Vec<(f32, u32)> = Vec::new();
        let (mut sims, mut wb, mut rows) = (Vec::new(), Vec::new(), Vec::new());
        for (&name, &(sum, mask)) in &bound {
            let matched: f32 = (0..wa.len())
                .filter(|i| mask & (1 << i) != 0)
                .map(|i| wa[i])
                .sum();
            // Any pair similar enough to be taken raises a score (TOKEN_MATCH exceeds
            // 1 - UNMATCHED_QUERY), so pairing every matched token at its best is an
            // upper bound.
            let den = matched + UNMATCHED_QUERY * (total - matched);
            if den <= 0.0 || sum / den + 1e-4 < Self::MIN_SCORE {
                continue;
            }
            let Some(terms) = self.name_term_ids(name) else {
                continue;
            };
            rows.clear();
            rows.extend(
                terms
                    .iter()
                    .map(|t| by_term.get(t).copied().unwrap_or_default()),
            );
            sims.clear();
            for i in 0..wa.len() {
                sims.extend(rows.iter().map(|row| row[i]));
            }
            wb.clear();
            wb.extend(
                terms
                    .iter()
                    .map(|&t| self.term_weight.get(t as usize).copied().unwrap_or(1.0)),
            );
            let score = names::align(&sims, &wa, &wb);
            if score >= Self::MIN_SCORE {
                scored.push((score, name));
            }
        }
        self.best_hits(scored, limit)
    }

    fn term(&self, id: u32) -> Option<&Term> {
        self.terms.get(id as usize).and_then(Option::as_ref)
    }

    /// The term ids of a stored name, from the compact array when they fit.
    fn name_term_ids(&self, name: u32) -> Option<&[u32]> {
        let n = name as usize;
        let len = usize::from(*self.name_len.get(n)?);
        if len == 0 {
            None
        } else if len <= INLINE_TERMS {
            self.name_terms.get(n).map(|t| &t[..len])
        } else {
            self.names
                .get(n)?
                .as_ref()
                .map(|slot| slot.terms.as_slice())
        }
    }

    /// The `limit` best of the scored names, one per key.
    fn best_hits(&self, mut scored: Vec<(f32, u32)>, limit: usize) -> Vec<Hit> {
        // Best first, equal scores by name id; so each key's first appearance is its
        // best name.
        let order = |a: &(f32, u32), b: &(f32, u32)| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1));
        let collect = |sorted: &[(f32, u32)]| {
            let mut seen: HashSet<RecordId> = HashSet::new();
            let mut out = Vec::with_capacity(limit.min(sorted.len()));
            for &(score, name) in sorted {
                if out.len() == limit {
                    break;
                }
                let Some(Some(slot)) = self.names.get(name as usize) else {
                    continue;
                };
                if seen.insert(slot.key) {
                    out.push(Hit {
                        key: slot.key,
                        score,
                        name: slot.index,
                    });
                }
            }
            out
        };
        // Most searches want a screenful out of up to thousands: sort only the head,
        // unless names of the same keys leave it short.
        let head = limit.saturating_mul(2).saturating_add(16);
        if scored.len() > head {
            scored.select_nth_unstable_by(head - 1, order);
            scored[..head].sort_unstable_by(order);
            let out = collect(&scored[..head]);
            if out.len() == limit {
                return out;
            }
        }
        scored.sort_unstable_by(order);
        collect(&scored)
    }

    /// The stored terms at least [`TOKEN_MATCH`]-similar to `form`, most similar
    /// first.
    fn similar_terms(&self, form: &TokenForm) -> Vec<(u32, f32)> {
        let mut keys = lookup_keys(form);
        let mut seen: FastSet<u32> = FastSet::default();
        let mut out = Vec::new();
        for key in &keys {
            let Some(ids) = self.lookup.get(key) else {
                continue;
            };
            for &id in ids {
                if !seen.insert(id) {
                    continue;
                }
                if let Some(term) = self.term(id) {
                    let s = names::token_similarity(form, &term.form);
                    if s >= TOKEN_MATCH {
                        out.push((id, s));
                    }
                }
            }
        }
        keys.zeroize();
        out.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out
    }

    /// The id of the term for `form`, creating it if needed.
    fn intern(&mut self, form: &TokenForm) -> u32 {
        if let Some(&id) = self.term_ids.get(&form.raw) {
            return id;
        }
        let term = Term {
            form: form.clone(),
            postings: Vec::new(),
        };
        let weight = form.weight();
        let id = match self.free_terms.pop() {
            Some(id) => {
                self.terms[id as usize] = Some(term);
                self.term_weight[id as usize] = weight;
                id
            }
            None => {
                self.terms.push(Some(term));
                self.term_weight.push(weight);
                (self.terms.len() - 1) as u32
            }
        };
        self.term_ids.insert(form.raw.clone(), id);
        for mut key in lookup_keys(form) {
            match self.lookup.get_mut(&key) {
                Some(ids) => {
                    ids.push(id);
                    key.zeroize();
                }
                None => {
                    self.lookup.insert(key, vec![id]);
                }
            }
        }
        id
    }

    /// Forgets a term no name uses any more.
    fn retire(&mut self, id: u32) {
        let Some(term) = self.terms.get_mut(id as usize).and_then(Option::take) else {
            return;
        };
        if let Some((mut k, _)) = self.term_ids.remove_entry(&term.form.raw) {
            k.zeroize();
        }
        let mut keys = lookup_keys(&term.form);
        for key in &keys {
            let emptied = match self.lookup.get_mut(key) {
                Some(ids) => {
                    ids.retain(|&t| t != id);
                    ids.is_empty()
                }
                None => false,
            };
            if emptied && let Some((mut k, _)) = self.lookup.remove_entry(key) {
                k.zeroize();
            }
        }
        keys.zeroize();
        self.free_terms.push(id);
    }
}

/// The lookup keys of a term or query token: its phonetic form and each single-byte
/// deletion of it (tag 0), its skeleton (tag 1) and, for skeletons of four or more,
/// each single deletion of that, and its normalised spelling and each single
/// deletion of that (tag 2). Deduplicated.
fn lookup_keys(form: &TokenForm) -> Vec<Vec<u8>> {
    let mut keys = Vec::with_capacity(form.raw.len() + form.phon.len() + form.skel.len() + 3);
    let mut add_with_deletions = |tag: u8, s: &[u8], deletions: bool| {
        keys.push([&[tag], s].concat());
        if deletions {
            for k in 0..s.len() {
                keys.push([&[tag], &s[..k], &s[k + 1..]].concat());
            }
        }
    };
    add_with_deletions(0, &form.phon, true);
    add_with_deletions(1, &form.skel, form.skel.len() >= 4);
    add_with_deletions(2, &form.raw, true);
    keys.sort_unstable();
    keys.dedup();
    keys
}

impl Default for SearchIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SearchIndex")
            .field("entries", &self.entries.len())
            .finish_non_exhaustive()
    }
}

impl Drop for SearchIndex {
    fn drop(&mut self) {
        // Term forms zeroize themselves; the map keys are copies of them.
        for (mut k, _) in self.term_ids.drain() {
            k.zeroize();
        }
        for (mut k, _) in self.lookup.drain() {
            k.zeroize();
        }
    }
}

/// A fast hasher for the per-search maps of small integer ids (FxHash's mixing).
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.add(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.add(u64::from(n));
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl IdHasher {
    fn add(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<IdHasher>>;
type FastSet<K> = HashSet<K, BuildHasherDefault<IdHasher>>;

#[cfg(test)]
#[path = "../../benches/support/population.rs"]
pub(crate) mod population;

#[cfg(test)]
mod tests {
    use super::population::{self, Person, VARIANT_PAIRS};
    use super::*;
    use crate::search::name_similarity;

    fn id(n: u64) -> RecordId {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&n.to_be_bytes());
        b[8] = 0xA5;
        RecordId(b)
    }

    fn keys(hits: &[Hit]) -> Vec<RecordId> {
        hits.iter().map(|h| h.key).collect()
    }

    fn index_of(people: &[Person]) -> SearchIndex {
        let mut index = SearchIndex::new();
        for (i, p) in people.iter().enumerate() {
            let mut names = vec![p.name.as_str()];
            if let Some(a) = &p.alias {
                names.push(a);
            }
            index.set(id(i as u64), &names);
        }
        index
    }

    fn small_index() -> SearchIndex {
        let mut index = SearchIndex::new();
        let names: [&[&str]; 8] = [
            &["Laxmi Devi"],
            &["Lakshmi Kumari"],
            &["Rekha Devi"],
            &["Somchai Sokha"],
            &["Md Karim Hossain", "Karim Mia"],
            &["Nguyễn Thị Hương"],
            &["Chan Sokha"],
            &["Shabnam Parveen"],
        ];
        for (i, n) in names.iter().enumerate() {
            index.set(id(i as u64), n);
        }
        index
    }

    #[test]
    fn set_search_replace_remove() {
        let mut index = small_index();
        assert_eq!(index.len(), 8);
        assert!(!index.is_empty());

        let hits = index.search("Mohammad Karim Hussain", 10);
        assert_eq!(keys(&hits), [id(4)]);
        assert_eq!(hits[0].name, 0);
        assert!(hits[0].score > 0.9);
        // The alias matches better than the name; one hit per entry.
        let hits = index.search("Karim Miah", 10);
        assert_eq!((hits.len(), hits[0].key, hits[0].name), (1, id(4), 1));

        // Replacing names forgets the old ones.
        index.set(id(4), &["Abdul Rahman"]);
        assert!(index.search("Karim Mia", 10).is_empty());
        assert_eq!(keys(&index.search("Abdur Rahman", 10)), [id(4)]);

        // Names without letters are skipped but keep their position.
        index.set(id(9), &["", "?!", "Jocelyn Santos"]);
        assert_eq!(index.search("Joselyn Santos", 10)[0].name, 2);
        assert_eq!(index.len(), 9);
        index.set(id(10), &["", " - "]);
        assert_eq!(index.len(), 9);

        // An empty list removes; removing twice is harmless.
        index.set(id(9), &[]);
        assert!(index.search("Jocelyn Santos", 10).is_empty());
        index.remove(id(7));
        index.remove(id(7));
        assert!(index.search("Shabnam Parveen", 10).is_empty());
        assert_eq!(index.len(), 7);
        assert_eq!(keys(&index.search("Sokha Chan", 10)), [id(6)]);
    }

    #[test]
    fn ranks_closer_spellings_first_and_leaves_out_unrelated_names() {
        let index = small_index();
        let hits = index.search("Lakshmi Devi", 10);
        assert_eq!(keys(&hits), [id(0), id(1)], "{hits:?}");
        assert!(hits[0].score > hits[1].score);
        assert!(hits.iter().all(|h| h.score >= SearchIndex::MIN_SCORE));
        assert!(index.search("Mahesh", 10).is_empty());
        assert!(index.search("Sunita Sharma", 10).is_empty());
        // Devi is too common a surname to rule anyone out.
        assert_eq!(keys(&index.search("Rekha Sharma", 10)), [id(2)]);
        assert_eq!(keys(&index.search("Nguyen Thi Huong", 10)), [id(5)]);
        assert_eq!(keys(&index.search("शबनम परवीन", 10)), [id(7)]);
        let mut sokha = keys(&index.search("Sokha", 10));
        sokha.sort();
        assert_eq!(sokha, [id(3), id(6)]);
        assert_eq!(index.search("Sokha", 1).len(), 1);
    }

    #[test]
    fn variant_pairs_find_each_other() {
        for (left, right) in VARIANT_PAIRS {
            let mut index = SearchIndex::new();
            index.set(id(1), &[left]);
            index.set(id(2), &["Anita Gurung"]);
            index.set(id(3), &["Thandar Win"]);
            assert_eq!(keys(&index.search(right, 10)), [id(1)], "{left} / {right}");
            let mut index = SearchIndex::new();
            index.set(id(1), &[right]);
            assert_eq!(keys(&index.search(left, 10)), [id(1)], "{right} / {left}");
        }
    }

    #[test]
    fn scores_are_name_similarity() {
        let people = population::population(3000, 3);
        let index = index_of(&people);
        for (i, p) in people.iter().enumerate().take(200) {
            let query = population::spelling_variant(&p.name, i as u64);
            let hits = index.search(&query, 50);
            for w in hits.windows(2) {
                assert!(w[0].score >= w[1].score);
            }
            for hit in hits {
                let n = u64::from_be_bytes(hit.key.0[..8].try_into().unwrap()) as usize;
                let name = if hit.name == 0 {
                    people[n].name.as_str()
                } else {
                    people[n].alias.as_deref().unwrap()
                };
                let expected = name_similarity(&query, name);
                assert!((hit.score - expected).abs() < 1e-5, "{query} / {name}");
            }
        }
    }

    #[test]
    fn long_names_and_long_queries() {
        let mut index = SearchIndex::new();
        index.set(id(1), &["Maria Cristina Dela Cruz Santos Reyes Bautista"]);
        index.set(id(2), &["Cristina Reyes"]);
        assert_eq!(keys(&index.search("Bautista", 10)), [id(1)]);
        assert_eq!(
            keys(&index.search("Ma. Cristina Santos Reyes Bautista", 10))[0],
            id(1)
        );
        // Only the first 8 tokens of a query count: the unmatched ninth and later
        // would lower the score to about 0.76.
        let long = "Maria Cristina Dela Cruz Santos Reyes Bautista Zzzz Qqqq Wwww Xxxx";
        let hits = index.search(long, 10);
        assert_eq!(hits[0].key, id(1));
        assert!(hits[0].score > 0.9, "{hits:?}");
    }

    #[test]
    fn odd_queries_neither_panic_nor_match() {
        let index = small_index();
        let huge = format!("Laxmi Devi {}", "🙂".repeat(100_000));
        for q in ["", " ", ".,;!?", "🙂🙂🙂", "\u{0}", "्ं़", "\u{0301}", "1234"] {
            assert!(index.search(q, 10).is_empty(), "{q:?}");
        }
        assert_eq!(keys(&index.search(&huge, 10)), [id(0), id(1)]);
        assert!(index.search("Laxmi Devi", 0).is_empty());
        assert_eq!(index.search("Laxmi Devi", usize::MAX).len(), 2);
        assert!(SearchIndex::new().search("Laxmi", 10).is_empty());
        let pool: Vec<char> = "aeiklmnrsty éĐ'.-🙂शबनमक्षिंः়".chars().collect();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..2000 {
            let q: String = (0..(state % 30))
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    pool[(state % pool.len() as u64) as usize]
                })
                .collect();
            for hit in index.search(&q, 5) {
                assert!((SearchIndex::MIN_SCORE..=1.0).contains(&hit.score));
            }
        }
    }

    #[test]
    fn removing_everything_frees_all_name_data() {
        let people = population::population(500, 5);
        let mut index = index_of(&people);
        for i in 0..people.len() {
            index.remove(id(i as u64));
        }
        assert!(index.is_empty());
        assert!(index.terms.iter().all(Option::is_none));
        assert!(index.term_ids.is_empty() && index.lookup.is_empty());
        assert!(index.name_len.iter().all(|&n| n == 0));
        // Freed slots are reused.
        let (names, terms) = (index.names.len(), index.terms.len());
        let mut index = index;
        index.set(id(1), &["Sita Tamang"]);
        assert_eq!((index.names.len(), index.terms.len()), (names, terms));
        assert_eq!(keys(&index.search("Seeta Tamang", 10)), [id(1)]);
    }

    #[test]
    fn debug_shows_no_names() {
        let index = small_index();
        let text = format!("{index:?}");
        assert_eq!(text, "SearchIndex { entries: 8, .. }");
    }

    #[test]
    fn recall_on_generated_population() {
        let people = population::population(20_000, 7);
        let mut index = index_of(&people);
        let surnames = [
            "Sharma", "Rahman", "Keo", "Saetang", "Ansari", "Gurung", "Santos", "Yadav", "Hossain",
            "Srisuk", "Tamang", "Mendoza",
        ];
        // For every pair, a person with the left spelling; search with the right one,
        // and the other way round.
        let mut extra = Vec::new();
        for (k, (left, right)) in VARIANT_PAIRS.iter().enumerate() {
            let surname = surnames[k % surnames.len()];
            for (n, (stored, asked)) in [(left, right), (right, left)].into_iter().enumerate() {
                let key = id(1_000_000 + 2 * k as u64 + n as u64);
                index.set(key, &[&format!("{stored} {surname}")]);
                extra.push((key, format!("{asked} {surname}")));
            }
        }
        for (key, query) in &extra {
            let hits = index.search(query, 10);
            assert!(hits.iter().any(|h| h.key == *key), "{query}: {hits:?}");
        }

        let mut found = 0;
        let tried = 500;
        for (i, p) in people.iter().enumerate().take(tried) {
            let query = population::spelling_variant(&p.name, i as u64);
            let hits = index.search(&query, 10);
            if hits.iter().any(|h| h.key == id(i as u64)) {
                found += 1;
            } else {
                println!("missed: {:?} as {query:?}", p.name);
            }
        }
        let recall = found as f64 / tried as f64;
        println!("recall of spelling variants in the top 10 among 20,000: {recall:.3}");
        assert!(recall >= 0.95, "recall {recall}");
    }

    /// Throwaway timing check: `cargo test --release --lib search -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn timing_at_100k() {
        use std::time::Instant;
        let mut people = population::population(100_000, 11);
        // Field data is messy: misspell a third of the stored names, which multiplies
        // the distinct tokens the index must search through.
        for (i, p) in people.iter_mut().enumerate() {
            if i % 3 == 0 {
                p.name = population::spelling_variant(&p.name, 1_000_000 + i as u64);
            }
        }
        let t = Instant::now();
        let index = index_of(&people);
        println!("built 100,000 entries in {:?}", t.elapsed());
        println!(
            "terms {} lookup keys {}",
            index.terms.len(),
            index.lookup.len()
        );
        let mut times = Vec::new();
        let mut hits_total = 0;
        for (i, p) in people.iter().enumerate().step_by(50) {
            let query = match i % 4 {
                0 => p.name.clone(),
                1 => population::spelling_variant(&p.name, i as u64),
                2 => p.name.split_whitespace().next().unwrap_or("").to_string(),
                _ => population::spelling_variant(&p.name, i as u64 + 1)
                    .split_whitespace()
                    .last()
                    .unwrap_or("")
                    .to_string(),
            };
            let t = Instant::now();
            let hits = index.search(&query, 20);
            times.push(t.elapsed());
            hits_total += hits.len();
        }
        for q in [
            "Devi",
            "Md",
            "Nguyen Thi",
            "Kumari Devi",
            "Mohammad",
            "a",
            "Nguyen Van Minh",
        ] {
            let t = Instant::now();
            let hits = index.search(q, 20);
            println!("{q:?}: {:?} ({} hits)", t.elapsed(), hits.len());
        }
        // Recall among 100,000 with a messy index, for names stored as generated.
        let (mut found, mut tried) = (0, 0);
        for (i, p) in people
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 3 != 0)
            .step_by(20)
        {
            let query = population::spelling_variant(&p.name, i as u64);
            tried += 1;
            if index
                .search(&query, 10)
                .iter()
                .any(|h| h.key == id(i as u64))
            {
                found += 1;
            }
        }
        println!("recall in the top 10 at 100,000: {found}/{tried}");
        times.sort();
        let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
        println!(
            "{} queries: p50 {:?} p95 {:?} p99 {:?} max {:?}; {} hits",
            times.len(),
            pct(0.5),
            pct(0.95),
            pct(0.99),
            pct(1.0),
            hits_total
        );
    }
}
