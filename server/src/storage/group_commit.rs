//! Group commit: the pushes of one team that arrive while its previous group is being
//! stored are stored together, in one transaction with one disk flush.
//!
//! Each store keeps one [`GroupCommit`]. A push joins its team's queue; if nobody is
//! storing for the team, the push's own thread leads: it takes every waiting push (up
//! to [`MAX_GROUP`] pushes and [`MAX_GROUP_BYTES`]), stores them through the store's
//! group function, answers each, and then hands the lead to the first push that
//! arrived meanwhile. A push alone is stored at once, as before; under load, groups
//! grow by themselves, so a team's pushes cost one commit per group instead of one each.
//!
//! Every push in a group gets its own answer: a refused push (revoked, replayed, batch
//! reused) writes nothing and does not affect the others. Only a failure of the
//! database itself fails the whole group, and then nothing of it is stored.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError, mpsc};

use super::{Id, Pushed, StorageError};

/// Most pushes stored in one group.
pub(crate) const MAX_GROUP: usize = 64;

/// Most bundle bytes stored in one group (a group always takes at least one push).
pub(crate) const MAX_GROUP_BYTES: usize = 16 << 20;

/// One push, as the store's group function receives it.
pub(crate) struct Push {
    /// The pushing device.
    pub device: Id,
    /// Its batch number.
    pub batch: u64,
    /// The sealed bytes.
    pub body: Vec<u8>,
    /// The body's BLAKE3 hash (a retry must carry the same bundle).
    pub hash: [u8; 32],
    /// When the request arrived (ms since the epoch).
    pub now_ms: u64,
    /// The request's nonce, recorded with the bundle.
    pub nonce: [u8; 16],
    /// Nonces used before this are forgotten.
    pub forget_before_ms: u64,
}

impl Push {
    /// A push as the `Storage::push` call gives it (the body copied: the group's
    /// leading thread stores it).
    pub(crate) fn new(
        device: &Id,
        batch: u64,
        body: &[u8],
        now_ms: u64,
        (nonce, forget_before_ms): ([u8; 16], u64),
    ) -> Self {
        Self {
            device: *device,
            batch,
            body: body.to_vec(),
            hash: *blake3::hash(body).as_bytes(),
            now_ms,
            nonce,
            forget_before_ms,
        }
    }
}

/// What a store does with a group: every push of `team` answered in order, or an
/// error of the database when nothing was stored.
pub(crate) type GroupResult = Result<Vec<Result<Pushed, StorageError>>, StorageError>;

/// The queues of pushes waiting for their team's group, per team.
#[derive(Default)]
pub(crate) struct GroupCommit {
    teams: Mutex<HashMap<Id, Queue>>,
}

/// One team's waiting pushes, and whether a thread is storing a group for it.
#[derive(Default)]
struct Queue {
    waiting: Vec<Waiting>,
    led: bool,
}

struct Waiting {
    push: Push,
    answer: mpsc::Sender<Answer>,
}

enum Answer {
    /// The push was stored or refused.
    Done(Result<Pushed, StorageError>),
    /// The receiving thread now stores the next group.
    Lead,
}

impl GroupCommit {
    /// Stores `push` for `team` in the next group, with `store` storing each group;
    /// returns this push's own answer.
    pub(crate) fn push(
        &self,
        team: &Id,
        push: Push,
        store: &dyn Fn(&Id, &[Push]) -> GroupResult,
    ) -> Result<Pushed, StorageError> {
        let (answer, answers) = mpsc::channel();
        let lead = {
            let mut teams = self.teams();
            let queue = teams.entry(*team).or_default();
            queue.waiting.push(Waiting { push, answer });
            !std::mem::replace(&mut queue.led, true)
        };
        if lead {
            self.lead(team, store);
        }
        loop {
            match answers.recv() {
                Ok(Answer::Done(result)) => return result,
                Ok(Answer::Lead) => self.lead(team, store),
                // The leading thread died with this push in its group.
                Err(_) => return Err(StorageError::Database("the push was not stored".into())),
            }
        }
    }

    fn teams(&self) -> MutexGuard<'_, HashMap<Id, Queue>> {
        // A queue is only ever changed whole under the lock, so it is sound after a
        // panic elsewhere.
        self.teams.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores one group of `team`'s waiting pushes and answers them; then hands the
    /// lead on (also if `store` panics, so the team's pushes never stall).
    fn lead(&self, team: &Id, store: &dyn Fn(&Id, &[Push]) -> GroupResult) {
        let _hand_over = HandOver { group: self, team };
        let group = {
            let mut teams = self.teams();
            let Some(queue) = teams.get_mut(team) else {
                return;
            };
            let (mut taken, mut bytes) = (0, 0);
            for waiting in &queue.waiting {
                if taken > 0
                    && (taken == MAX_GROUP || bytes + waiting.push.body.len() > MAX_GROUP_BYTES)
                {
                    break;
                }
                taken += 1;
                bytes += waiting.push.body.len();
            }
            queue.waiting.drain(..taken).collect::<Vec<_>>()
        };
        let (pushes, answers): (Vec<Push>, Vec<mpsc::Sender<Answer>>) =
            group.into_iter().map(|w| (w.push, w.answer)).unzip();
        match store(team, &pushes) {
            Ok(results) if results.len() == pushes.len() => {
                for (answer, result) in answers.iter().zip(results) {
                    let _ = answer.send(Answer::Done(result));
                }
            }
            Ok(_) => {
                for answer in &answers {
                    let _ = answer.send(Answer::Done(Err(StorageError::Database(
                        "the store answered a group wrongly".into(),
                    ))));
                }
            }
            Err(e) => {
                let message = match e {
                    StorageError::Database(message) => message,
                    other => other.to_string(),
                };
                for answer in &answers {
                    let _ = answer.send(Answer::Done(Err(StorageError::Database(message.clone()))));
                }
            }
        }
    }
}

/// Hands a team's lead to its first waiting push, or ends it when none waits.
struct HandOver<'a> {
    group: &'a GroupCommit,
    team: &'a Id,
}

impl Drop for HandOver<'_> {
    fn drop(&mut self) {
        let mut teams = self.group.teams();
        let Some(queue) = teams.get_mut(self.team) else {
            return;
        };
        // A waiting thread only stops listening once answered, so the first send
        // reaches a thread; the loop is for safety.
        while !queue.waiting.is_empty() {
            if queue.waiting[0].answer.send(Answer::Lead).is_ok() {
                return;
            }
            queue.waiting.remove(0);
        }
        teams.remove(self.team);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn push(device: u8, batch: u64) -> Push {
        Push {
            device: [device; 16],
            batch,
            body: vec![device; 10],
            hash: [0; 32],
            now_ms: 0,
            nonce: [0; 16],
            forget_before_ms: 0,
        }
    }

    /// Many threads pushing at once are stored in fewer groups than pushes, each push
    /// gets its own answer, and a refusal in a group touches only its push.
    #[test]
    fn concurrent_pushes_share_groups_and_keep_their_own_answers() {
        let group = Arc::new(GroupCommit::default());
        let groups = Arc::new(AtomicUsize::new(0));
        let next_seq = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..32u8)
            .map(|t| {
                let (group, groups, next_seq) = (group.clone(), groups.clone(), next_seq.clone());
                std::thread::spawn(move || {
                    (0..20)
                        .map(|b| {
                            group.push(&[1; 16], push(t, b), &|_, pushes| {
                                groups.fetch_add(1, Ordering::SeqCst);
                                // Slow enough that others queue up behind.
                                std::thread::sleep(std::time::Duration::from_millis(2));
                                Ok(pushes
                                    .iter()
                                    .map(|p| {
                                        if p.device == [7; 16] && p.batch == 3 {
                                            return Err(StorageError::BatchReused);
                                        }
                                        let seq = next_seq.fetch_add(1, Ordering::SeqCst) as u64;
                                        Ok(Pushed {
                                            seq: seq * 10_000
                                                + u64::from(p.device[0]) * 100
                                                + p.batch,
                                            duplicate: false,
                                        })
                                    })
                                    .collect())
                            })
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for (t, thread) in threads.into_iter().enumerate() {
            for (b, answer) in thread.join().expect("thread").into_iter().enumerate() {
                match answer {
                    Err(StorageError::BatchReused) => assert_eq!((t, b), (7, 3)),
                    Ok(pushed) => assert_eq!(pushed.seq % 10_000, t as u64 * 100 + b as u64),
                    Err(e) => panic!("unexpected {e}"),
                }
            }
        }
        let groups = groups.load(Ordering::SeqCst);
        assert!(groups < 32 * 20 / 2, "{groups} groups for 640 pushes");
        assert!(group.teams().is_empty(), "no queue left behind");
    }

    /// A store that fails or panics fails its group's pushes, and the team's next
    /// pushes are still stored.
    #[test]
    fn a_failed_group_fails_its_pushes_and_the_next_group_runs() {
        let group = GroupCommit::default();
        let failed = group.push(&[2; 16], push(1, 1), &|_, _| {
            Err(StorageError::Database("postgres 57P01: terminating".into()))
        });
        assert!(matches!(failed, Err(StorageError::Database(_))));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            group.push(&[2; 16], push(1, 2), &|_, _| panic!("store bug"))
        }));
        assert!(panicked.is_err());
        let stored = group.push(&[2; 16], push(1, 3), &|_, pushes| {
            Ok(pushes
                .iter()
                .map(|_| {
                    Ok(Pushed {
                        seq: 9,
                        duplicate: false,
                    })
                })
                .collect())
        });
        assert_eq!(stored.expect("stored").seq, 9);
    }

    /// A push that waits behind a group whose store panics is still stored: the lead
    /// passes to it.
    #[test]
    fn a_push_waiting_behind_a_panicking_group_is_stored() {
        let group = Arc::new(GroupCommit::default());
        let leader = {
            let group = group.clone();
            std::thread::spawn(move || {
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    group.push(&[3; 16], push(1, 1), &|_, _| {
                        std::thread::sleep(std::time::Duration::from_millis(200));
                        panic!("store bug")
                    })
                }))
                .is_err()
            })
        };
        // Arrives while the first group is being stored, so it waits in the queue.
        std::thread::sleep(std::time::Duration::from_millis(50));
        let stored = group.push(&[3; 16], push(2, 1), &|_, pushes| {
            Ok(pushes
                .iter()
                .map(|_| {
                    Ok(Pushed {
                        seq: 7,
                        duplicate: false,
                    })
                })
                .collect())
        });
        assert!(leader.join().expect("leader"), "the first push failed");
        assert_eq!(stored.expect("stored").seq, 7);
        assert!(group.teams().is_empty());
    }
}
