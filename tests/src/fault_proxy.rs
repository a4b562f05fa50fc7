//! A misbehaving network on loopback, between devices and a sync server: it cuts
//! requests in the middle of their body, cuts answers in the middle of theirs (after
//! the server acted on the request), sends requests twice, and delays requests and
//! answers at random, so the answers of concurrent devices come back in another order
//! than their requests went out. The upstream address can change while it runs (a
//! server killed and restarted elsewhere).
//!
//! One request per client connection: the proxy asks the server to close after its
//! answer and tells the client the same, so every exchange is one fault decision.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// How often each fault happens, in percent of requests, and the longest delay.
#[derive(Clone, Copy, Debug)]
pub struct Faults {
    /// The request is cut after half its body; the server never sees it whole.
    pub cut_request: u64,
    /// The server answers, the client gets half the answer.
    pub cut_answer: u64,
    /// The request reaches the server twice; the client gets one of the answers.
    pub duplicate: u64,
    /// Requests and answers wait up to this long each.
    pub max_delay: Duration,
}

impl Faults {
    /// No faults: a plain relay.
    pub const NONE: Faults = Faults {
        cut_request: 0,
        cut_answer: 0,
        duplicate: 0,
        max_delay: Duration::ZERO,
    };
}

/// What the proxy did, for the test to check that faults really happened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests relayed whole (duplicates counted once).
    pub relayed: u64,
    /// Requests cut mid-body after reaching the server.
    pub cut_requests: u64,
    /// Answers cut mid-body.
    pub cut_answers: u64,
    /// Requests that reached the server twice (the second copy carries the same nonce,
    /// so the server refuses it as a replay; retries after cut answers exercise the
    /// duplicate-batch path).
    pub duplicated: u64,
    /// Requests that found no server (it was down).
    pub unreachable: u64,
}

/// A push held at the server: forwarded whole, its answer not read until released.
#[derive(Default)]
struct Hold {
    armed: bool,
    holding: bool,
    released: bool,
}

struct Shared {
    upstream: Mutex<SocketAddr>,
    hold: Mutex<Hold>,
    hold_changed: Condvar,
    faults: Mutex<Faults>,
    rng: AtomicU64,
    stop: AtomicBool,
    relayed: AtomicU64,
    cut_requests: AtomicU64,
    cut_answers: AtomicU64,
    duplicated: AtomicU64,
    unreachable: AtomicU64,
    in_flight: AtomicU64,
}

/// The running proxy; stops accepting when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

const IO_TIMEOUT: Duration = Duration::from_secs(30);

impl FaultProxy {
    /// Listens on 127.0.0.1 and relays to `upstream`, with no faults until
    /// [`FaultProxy::set_faults`]. `seed` makes the fault sequence repeatable (for a
    /// given interleaving of the clients).
    pub fn start(upstream: SocketAddr, seed: u64) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", 0))?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream: Mutex::new(upstream),
            hold: Mutex::new(Hold::default()),
            hold_changed: Condvar::new(),
            faults: Mutex::new(Faults::NONE),
            rng: AtomicU64::new(seed),
            stop: AtomicBool::new(false),
            relayed: AtomicU64::new(0),
            cut_requests: AtomicU64::new(0),
            cut_answers: AtomicU64::new(0),
            duplicated: AtomicU64::new(0),
            unreachable: AtomicU64::new(0),
            in_flight: AtomicU64::new(0),
        });
        let accepting = shared.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if accepting.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let shared = accepting.clone();
                std::thread::spawn(move || {
                    shared.in_flight.fetch_add(1, Ordering::SeqCst);
                    let _ = relay(&shared, client);
                    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        Ok(Self { addr, shared })
    }

    /// The URL devices use instead of the server's.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Relays to another server address from now on.
    pub fn set_upstream(&self, upstream: SocketAddr) {
        *lock(&self.shared.upstream) = upstream;
    }

    /// Changes the faults for the requests that follow.
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.shared.faults) = faults;
    }

    /// What happened so far.
    pub fn counts(&self) -> Counts {
        let s = &self.shared;
        Counts {
            relayed: s.relayed.load(Ordering::SeqCst),
            cut_requests: s.cut_requests.load(Ordering::SeqCst),
            cut_answers: s.cut_answers.load(Ordering::SeqCst),
            duplicated: s.duplicated.load(Ordering::SeqCst),
            unreachable: s.unreachable.load(Ordering::SeqCst),
        }
    }

    /// Arms a hold: the next push (a `POST /v1/bundles`) is forwarded whole to the
    /// server, without faults, and its answer is not read until [`FaultProxy::release`]:
    /// a server killed meanwhile dies in the middle of that push.
    pub fn hold_next_push(&self) {
        *lock(&self.shared.hold) = Hold {
            armed: true,
            ..Hold::default()
        };
    }

    /// Waits until the armed push has reached the server; false after `timeout`.
    pub fn wait_until_held(&self, timeout: Duration) -> bool {
        let hold = lock(&self.shared.hold);
        let (hold, _) = self
            .shared
            .hold_changed
            .wait_timeout_while(hold, timeout, |h| !h.holding)
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        hold.holding
    }

    /// Lets the held push read its answer (from a server that may be gone).
    pub fn release(&self) {
        lock(&self.shared.hold).released = true;
        self.shared.hold_changed.notify_all();
    }

    /// Exchanges under way now.
    pub fn in_flight(&self) -> u64 {
        self.shared.in_flight.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accepting thread so it sees the stop.
        let _ = TcpStream::connect(self.addr);
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// splitmix64 over a shared counter: a number in 0..bound.
fn roll(shared: &Shared, bound: u64) -> u64 {
    let mut z = shared
        .rng
        .fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::SeqCst)
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^= z >> 31;
    if bound == 0 { 0 } else { z % bound }
}

fn delay(shared: &Shared, max: Duration) {
    let max_ms = max.as_millis() as u64;
    if max_ms > 0 {
        std::thread::sleep(Duration::from_millis(roll(shared, max_ms + 1)));
    }
}

/// Reads one HTTP/1.1 message head and its Content-Length body. None when the peer
/// closed before a whole message.
fn read_message(stream: &mut TcpStream, to_end: bool) -> Option<(Vec<String>, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..head_end].to_vec()).ok()?;
    let lines: Vec<String> = head.split("\r\n").map(str::to_owned).collect();
    let mut body = buf[head_end + 4..].to_vec();
    if to_end {
        // The server closes after its answer: read everything.
        stream.read_to_end(&mut body).ok()?;
        return Some((lines, body));
    }
    let length = lines
        .iter()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    while body.len() < length {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Some((lines, body))
}

/// The head with its `Connection` header replaced by `close`.
fn closing_head(lines: &[String]) -> Vec<u8> {
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let is_connection = line
            .split_once(':')
            .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("connection"));
        if i > 0 && is_connection {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
        if i == 0 {
            out.push_str("connection: close\r\n");
        }
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// Sends a whole request to the server and reads its whole answer; when `hold`, waits
/// for the test's release between the two.
fn exchange(shared: &Shared, upstream: SocketAddr, request: &[u8], hold: bool) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect_timeout(&upstream, Duration::from_secs(5)).ok()?;
    server.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    server.write_all(request).ok()?;
    if hold {
        let mut state = lock(&shared.hold);
        state.holding = true;
        shared.hold_changed.notify_all();
        let _ = shared
            .hold_changed
            .wait_timeout_while(state, IO_TIMEOUT, |h| !h.released);
    }
    let (lines, body) = read_message(&mut server, true)?;
    let mut answer = closing_head(&lines);
    answer.extend_from_slice(&body);
    Some(answer)
}

fn relay(shared: &Shared, mut client: TcpStream) -> Option<()> {
    client.set_read_timeout(Some(IO_TIMEOUT)).ok()?;
    client.set_write_timeout(Some(IO_TIMEOUT)).ok()?;
    let (lines, body) = read_message(&mut client, false)?;
    let faults = *lock(&shared.faults);
    let upstream = *lock(&shared.upstream);
    let mut request = closing_head(&lines);
    request.extend_from_slice(&body);
    delay(shared, faults.max_delay);

    let is_push = lines
        .first()
        .is_some_and(|l| l.starts_with("POST /v1/bundles"));
    let hold = is_push && {
        let mut state = lock(&shared.hold);
        std::mem::take(&mut state.armed)
    };
    let dice = if hold { 100 } else { roll(shared, 100) };
    if dice < faults.cut_request && !body.is_empty() {
        // The server gets the head and half the body, then the connection drops.
        if let Ok(mut server) = TcpStream::connect_timeout(&upstream, Duration::from_secs(5)) {
            let cut = request.len() - body.len() / 2;
            if server.write_all(&request[..cut]).is_ok() {
                shared.cut_requests.fetch_add(1, Ordering::SeqCst);
            }
            let _ = server.shutdown(Shutdown::Both);
        }
        return None;
    }
    let answer = if dice < faults.cut_request + faults.duplicate {
        // Both copies race; the client gets whichever answer the dice pick.
        let (first, second) = std::thread::scope(|s| {
            let a = s.spawn(|| exchange(shared, upstream, &request, false));
            let b = s.spawn(|| exchange(shared, upstream, &request, false));
            (a.join().ok().flatten(), b.join().ok().flatten())
        });
        if first.is_some() && second.is_some() {
            shared.duplicated.fetch_add(1, Ordering::SeqCst);
        }
        if roll(shared, 2) == 0 {
            first.or(second)
        } else {
            second.or(first)
        }
    } else {
        exchange(shared, upstream, &request, hold)
    };
    let Some(answer) = answer else {
        shared.unreachable.fetch_add(1, Ordering::SeqCst);
        return None;
    };
    shared.relayed.fetch_add(1, Ordering::SeqCst);
    delay(shared, faults.max_delay);
    if roll(shared, 100) < faults.cut_answer {
        shared.cut_answers.fetch_add(1, Ordering::SeqCst);
        let _ = client.write_all(&answer[..answer.len() / 2]);
        let _ = client.shutdown(Shutdown::Both);
        return None;
    }
    client.write_all(&answer).ok()?;
    let _ = client.shutdown(Shutdown::Write);
    Some(())
}
