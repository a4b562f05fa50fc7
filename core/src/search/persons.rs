//! Persons in a vault: finding one by name, the likely duplicates of an identification,
//! and counting persons once when a coordinator has linked two cases as the same
//! person.

use std::collections::{BTreeMap, BTreeSet};

use chrono::Datelike;

use super::{SearchIndex, name_similarity};
use crate::ids::RecordId;
use crate::records::{
    self, Record, RecordError, RecordFilter, RecordKind, Value, for_each_person_names,
};
use crate::vault::Vault;

/// Most results a search or duplicate query returns.
pub const MAX_RESULTS: usize = 50;

/// One person found by a search.
#[derive(Clone, Debug, PartialEq)]
pub struct PersonMatch {
    /// The person's case.
    pub case: RecordId,
    /// The submission (identification) whose name matched.
    pub record: RecordId,
    /// The name or alias that matched, as written.
    pub name: String,
    /// How well it matched, 0 to 1.
    pub score: f32,
}

/// Why a case is suggested as the same person, for the coordinator to weigh.
#[derive(Clone, Debug, PartialEq)]
pub enum MatchReason {
    /// Names (or aliases) alike, 0 to 1.
    Name {
        /// Similarity of the closest pair of names.
        similarity: f32,
    },
    /// Same sex recorded.
    SameSex,
    /// Different sex recorded.
    DifferentSex,
    /// Ages agree within this many years (after allowing for the time between the
    /// two identifications).
    AgeClose {
        /// Years apart.
        years: i64,
    },
    /// Ages differ by this many years.
    AgeFar {
        /// Years apart.
        years: i64,
    },
    /// Same nationality recorded.
    SameNationality,
    /// Different nationality recorded.
    DifferentNationality,
    /// Identified at an operation on the same day.
    SameOperationDate,
    /// Found with the same number of companions.
    SameCompanions,
}

/// A case that may be the same person as the one asked about.
#[derive(Clone, Debug, PartialEq)]
pub struct DuplicateCandidate {
    /// The other case.
    pub case: RecordId,
    /// Its identification.
    pub record: RecordId,
    /// Its name as written.
    pub name: String,
    /// Overall likelihood, 0 to 1, best first.
    pub score: f32,
    /// What agrees and what does not.
    pub reasons: Vec<MatchReason>,
}

/// What an identification says about a person, as far as matching goes.
struct Traits {
    names: Vec<String>,
    sex: Option<String>,
    age: Option<i64>,
    nationality: Option<String>,
    operation_date: Option<chrono::NaiveDate>,
    companions: Option<i64>,
}

impl Traits {
    fn of(record: &Record) -> Self {
        let choice = |name: &str| match record.answer(name) {
            Some(Value::Choice(c)) | Some(Value::Text(c)) => Some(c.clone()),
            _ => None,
        };
        let integer = |name: &str| match record.answer(name) {
            Some(Value::Integer(n)) => Some(*n),
            _ => None,
        };
        Self {
            names: record_names(record),
            sex: choice("sex").filter(|s| s != "not_stated" && s != "other"),
            age: integer("age"),
            nationality: choice("nationality").filter(|n| n != "unknown" && n != "other"),
            operation_date: match record.answer("operation_date") {
                Some(Value::Date(d)) => Some(*d),
                _ => None,
            },
            companions: integer("companions"),
        }
    }
}

/// A record's person names, in the order the index was given them.
fn record_names(record: &Record) -> Vec<String> {
    records::names_in(
        record
            .fields
            .iter()
            .map(|(k, f)| (k.as_str(), f.value.as_ref())),
    )
    .iter()
    .map(|n| n.to_string())
    .collect()
}

/// Weighs the evidence that `b` is the person `a` describes. Name similarity is the
/// base; a recorded difference in sex counts heavily against (a recording mistake is
/// rarer than two people with alike names), ages are compared after allowing for the
/// years between the two operations, and nationality, the operation day and the number
/// of companions add a little.
fn weigh(a: &Traits, b: &Traits) -> (f32, Vec<MatchReason>) {
    let similarity = a
        .names
        .iter()
        .flat_map(|x| b.names.iter().map(move |y| name_similarity(x, y)))
        .fold(0.0f32, f32::max);
    let mut score = similarity;
    let mut reasons = vec![MatchReason::Name { similarity }];
    if let (Some(x), Some(y)) = (&a.sex, &b.sex) {
        if x == y {
            score += 0.1;
            reasons.push(MatchReason::SameSex);
        } else {
            score -= 0.5;
            reasons.push(MatchReason::DifferentSex);
        }
    }
    if let (Some(x), Some(y)) = (a.age, b.age) {
        let elapsed = match (a.operation_date, b.operation_date) {
            (Some(da), Some(db)) => i64::from(db.year() - da.year()),
            _ => 0,
        };
        let years = (y - x - elapsed).abs();
        if years <= 2 {
            score += 0.1;
            reasons.push(MatchReason::AgeClose { years });
        } else if years > 5 {
            score -= (0.1 + 0.02 * (years - 5) as f32).min(0.4);
            reasons.push(MatchReason::AgeFar { years });
        }
    }
    if let (Some(x), Some(y)) = (&a.nationality, &b.nationality) {
        if x == y {
            score += 0.05;
            reasons.push(MatchReason::SameNationality);
        } else {
            score -= 0.1;
            reasons.push(MatchReason::DifferentNationality);
        }
    }
    if a.operation_date.is_some() && a.operation_date == b.operation_date {
        score += 0.05;
        reasons.push(MatchReason::SameOperationDate);
    }
    if a.companions.is_some_and(|n| n > 0) && a.companions == b.companions {
        score += 0.05;
        reasons.push(MatchReason::SameCompanions);
    }
    (score.clamp(0.0, 1.0), reasons)
}

impl Vault {
    /// Builds the in-memory name index now rather than at the first search (a shell
    /// can call this off the main thread right after unlock).
    pub fn prepare_search(&self) -> Result<(), RecordError> {
        self.search_hits("", 0).map(|_| ())
    }

    fn search_hits(&self, query: &str, limit: usize) -> Result<Vec<super::Hit>, RecordError> {
        self.with_unlocked(RecordError::Locked, |u| {
            if u.search.is_none() {
                let mut index = SearchIndex::new();
                for_each_person_names(u, |id, names| {
                    let names: Vec<&str> = names.iter().map(|n| n.as_str()).collect();
                    index.set(id, &names);
                })?;
                u.search = Some(index);
            }
            Ok(match (&u.search, limit) {
                (Some(index), 1..) => index.search(query, limit),
                _ => Vec::new(),
            })
        })
    }

    /// Persons whose name or alias is like `query`, best first, one entry per case:
    /// spelling variants, transliterations (Devanagari too) and typos match. The index
    /// is built in memory at the first search after unlock and never written to disk.
    pub fn search(&self, query: &str, limit: usize) -> Result<Vec<PersonMatch>, RecordError> {
        Ok(self
            .matches(query, limit)?
            .into_iter()
            .map(|(found, _)| found)
            .collect())
    }

    /// [`Vault::search`] with each match's identification, opened once.
    fn matches(
        &self,
        query: &str,
        limit: usize,
    ) -> Result<Vec<(PersonMatch, Record)>, RecordError> {
        let limit = limit.min(MAX_RESULTS);
        // Ask for more hits than wanted: several identifications may belong to one case.
        let hits = self.search_hits(query, limit.saturating_mul(2))?;
        let mut out: Vec<(PersonMatch, Record)> = Vec::new();
        for hit in hits {
            let record = match self.get(hit.key) {
                Ok(r) => r,
                Err(RecordError::NotFound(_) | RecordError::Deleted(_)) => continue,
                Err(e) => return Err(e),
            };
            let case = record.case.unwrap_or(record.id);
            if out.iter().any(|(m, _)| m.case == case) {
                continue;
            }
            let names = record_names(&record);
            let Some(name) = names.get(hit.name).or(names.first()) else {
                continue;
            };
            let found = PersonMatch {
                case,
                record: record.id,
                name: name.clone(),
                score: hit.score,
            };
            out.push((found, record));
            if out.len() == limit {
                break;
            }
        }
        Ok(out)
    }

    /// The identification of a case (its newest submission that names the person), or
    /// the record itself when it is one.
    pub fn identification(&self, id: RecordId) -> Result<Record, RecordError> {
        let record = self.get(id)?;
        if record.kind != RecordKind::Case {
            return Ok(record);
        }
        let filter = RecordFilter {
            case: Some(id),
            kind: Some(RecordKind::Submission),
            ..RecordFilter::default()
        };
        self.list(&filter)?
            .into_iter()
            .rev()
            .find(|r| !record_names(r).is_empty())
            .ok_or(RecordError::InvalidInput(
                "this case has no identification with a name",
            ))
    }

    /// Cases that may be the same person as the case or identification `id`, best
    /// first: alike names, then sex, age band (allowing for the years between
    /// operations), nationality, operation day and companions. Cases already linked to
    /// it are left out.
    pub fn duplicates(
        &self,
        id: RecordId,
        limit: usize,
    ) -> Result<Vec<DuplicateCandidate>, RecordError> {
        let limit = limit.min(MAX_RESULTS);
        let subject = self.identification(id)?;
        let own_case = subject.case.unwrap_or(subject.id);
        let linked: BTreeSet<RecordId> = self.get(own_case)?.same_person.into_iter().collect();
        let traits = Traits::of(&subject);
        let mut candidates: BTreeMap<RecordId, DuplicateCandidate> = BTreeMap::new();
        for name in &traits.names {
            for (found, other) in self.matches(name, MAX_RESULTS)? {
                if found.case == own_case || linked.contains(&found.case) {
                    continue;
                }
                let (score, reasons) = weigh(&traits, &Traits::of(&other));
                let better = candidates.get(&found.case).is_none_or(|c| c.score < score);
                if better {
                    candidates.insert(
                        found.case,
                        DuplicateCandidate {
                            case: found.case,
                            record: found.record,
                            name: found.name,
                            score,
                            reasons,
                        },
                    );
                }
            }
        }
        let mut out: Vec<DuplicateCandidate> = candidates.into_values().collect();
        out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.case.cmp(&b.case)));
        out.truncate(limit);
        Ok(out)
    }

    /// Live cases grouped by person: cases linked as the same person (directly or
    /// through others) form one group. Reports count groups, not cases.
    pub fn persons(&self) -> Result<Vec<Vec<RecordId>>, RecordError> {
        let filter = RecordFilter {
            kind: Some(RecordKind::Case),
            ..RecordFilter::default()
        };
        let mut links: BTreeMap<RecordId, Vec<RecordId>> = BTreeMap::new();
        self.for_each(&filter, |case| {
            links.insert(case.id, case.same_person);
        })?;
        let mut seen = BTreeSet::new();
        let mut groups = Vec::new();
        for &start in links.keys() {
            if !seen.insert(start) {
                continue;
            }
            let mut group = vec![start];
            let mut next = vec![start];
            while let Some(id) = next.pop() {
                for other in links.get(&id).into_iter().flatten() {
                    if links.contains_key(other) && seen.insert(*other) {
                        group.push(*other);
                        next.push(*other);
                    }
                }
            }
            group.sort();
            groups.push(group);
        }
        Ok(groups)
    }
}
