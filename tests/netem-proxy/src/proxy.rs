//! The proxy: accept loop, one task per connection, two shaped pumps each.
//!
//! A pump is a delay line. Its reader takes a chunk from the source
//! (at most the bucket depth), charges the cut budgets and the shared token
//! bucket, stamps the chunk with the time it is due (now + latency +
//! jitter) and queues it; its writer writes each chunk to the destination
//! when it is due. The queue is bounded, so a slow or stalled destination
//! pushes back through TCP flow control to the source instead of filling
//! memory.

use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Deref;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::{sleep, sleep_until, timeout, Instant};
use tracing::debug;

use crate::profile::{Direction, LinkShape, Profile};
use crate::shaping::{Cuts, TokenBucket};

/// Chunks queued in one direction of one connection. With chunks of at
/// most [`crate::MAX_CHUNK`] bytes that bounds the buffer to 512 KiB per
/// direction; it also bounds the bytes in flight on the simulated link, so
/// a custom shape with rate × latency above that runs below its rate.
const QUEUE_CHUNKS: usize = 32;

/// After a cut, how long the proxy keeps reading (and discarding) from the
/// side that got the truncated stream, so that closing the socket sends a
/// FIN after the data rather than a reset that could discard it.
const DRAIN_GRACE: Duration = Duration::from_secs(1);
/// The most the proxy discards while draining.
const DRAIN_MAX_BYTES: usize = 1 << 20;

/// Pause after a failed `accept` (e.g. out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// How to start a [`Proxy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Where every accepted connection is forwarded.
    pub target: SocketAddr,
    /// Where the proxy listens: a loopback address, `127.0.0.1:0` unless
    /// set (port 0 picks a free port; read it back with [`Proxy::addr`]).
    pub listen: SocketAddr,
    /// The link's shape at start; change it later with
    /// [`ProxyHandle::set_profile`].
    pub profile: Profile,
    /// A connection on which no byte was forwarded either way for this long
    /// is closed (a blackholed connection too: carrier NATs forget quiet
    /// flows). Default 30 s.
    pub idle_timeout: Duration,
    /// How long the proxy tries to reach the target. Default 10 s.
    pub connect_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog.
    /// Default 64, at least 1.
    pub max_connections: usize,
    /// Seed of the jitter draws, so a run can be repeated.
    pub seed: u64,
}

impl ProxyConfig {
    /// Forwards to `target`, unshaped, with the defaults above.
    pub fn new(target: SocketAddr) -> ProxyConfig {
        ProxyConfig {
            target,
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            profile: Profile::Wifi,
            idle_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_connections: 64,
            seed: 0x6772_6964_776f_726b,
        }
    }

    /// The same config with another starting profile.
    pub fn with_profile(self, profile: Profile) -> ProxyConfig {
        ProxyConfig { profile, ..self }
    }

    /// The same config with another idle timeout.
    pub fn with_idle_timeout(self, idle_timeout: Duration) -> ProxyConfig {
        ProxyConfig {
            idle_timeout,
            ..self
        }
    }

    /// The same config with another connection limit.
    pub fn with_max_connections(self, max_connections: usize) -> ProxyConfig {
        ProxyConfig {
            max_connections,
            ..self
        }
    }

    /// The same config with another listen address (loopback only).
    pub fn with_listen(self, listen: SocketAddr) -> ProxyConfig {
        ProxyConfig { listen, ..self }
    }

    /// The same config with another jitter seed.
    pub fn with_seed(self, seed: u64) -> ProxyConfig {
        ProxyConfig { seed, ..self }
    }
}

/// Why a proxy did not start.
#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    /// Test traffic stays on this machine: the proxy listens on loopback only.
    #[error("the proxy listens on loopback addresses only, not {0}")]
    NotLoopback(SocketAddr),
    /// `max_connections` was 0.
    #[error("max_connections must be at least 1")]
    NoConnections,
    /// The listening socket could not be opened.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// What the OS said.
        source: io::Error,
    },
}

/// Counters since the proxy started. Byte counts are bytes written to the
/// far side, so they say exactly what crossed the link (and, across a
/// retry, how much was sent again).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Bytes forwarded client → target.
    pub bytes_up: u64,
    /// Bytes forwarded target → client.
    pub bytes_down: u64,
    /// Connections accepted from clients.
    pub connections_accepted: u64,
    /// Connections open now (a gauge, not a counter).
    pub connections_open: u64,
    /// Connections ended by a cut ([`ProxyHandle::cut_after_bytes`] and
    /// [`ProxyHandle::cut_each_connection_after`]).
    pub connections_cut: u64,
    /// Connections ended by [`ProxyHandle::drop_all_connections`].
    pub connections_dropped: u64,
    /// Connections closed by the idle timeout.
    pub connections_timed_out: u64,
    /// Connections whose target could not be reached.
    pub connect_failures: u64,
    /// Bytes corrupted on the way ([`ProxyHandle::flip_byte_after`]).
    pub bytes_flipped: u64,
}

impl Stats {
    /// Bytes forwarded in one direction.
    pub fn bytes(&self, direction: Direction) -> u64 {
        match direction {
            Direction::Up => self.bytes_up,
            Direction::Down => self.bytes_down,
        }
    }

    /// What happened between `earlier` and `self`: every counter as a
    /// difference, `connections_open` as it is now.
    pub fn since(&self, earlier: &Stats) -> Stats {
        Stats {
            bytes_up: self.bytes_up.saturating_sub(earlier.bytes_up),
            bytes_down: self.bytes_down.saturating_sub(earlier.bytes_down),
            connections_accepted: self
                .connections_accepted
                .saturating_sub(earlier.connections_accepted),
            connections_open: self.connections_open,
            connections_cut: self.connections_cut.saturating_sub(earlier.connections_cut),
            connections_dropped: self
                .connections_dropped
                .saturating_sub(earlier.connections_dropped),
            connections_timed_out: self
                .connections_timed_out
                .saturating_sub(earlier.connections_timed_out),
            connect_failures: self
                .connect_failures
                .saturating_sub(earlier.connect_failures),
            bytes_flipped: self.bytes_flipped.saturating_sub(earlier.bytes_flipped),
        }
    }
}

#[derive(Debug, Default)]
struct Counters {
    bytes: [AtomicU64; 2],
    accepted: AtomicU64,
    open: AtomicU64,
    cut: AtomicU64,
    dropped: AtomicU64,
    timed_out: AtomicU64,
    connect_failures: AtomicU64,
    flipped: AtomicU64,
}

/// Everything the handle and the connection tasks share.
#[derive(Debug)]
struct Shared {
    target: SocketAddr,
    idle_timeout: Duration,
    connect_timeout: Duration,
    seed: u64,
    profile: watch::Sender<Profile>,
    blackholed: watch::Sender<bool>,
    /// Bumped by `drop_all_connections`; every open connection watches it.
    epoch: watch::Sender<u64>,
    cuts: Mutex<Cuts>,
    /// One bucket per direction, shared by all connections: like a phone's
    /// radio link, parallel connections split the rate rather than each
    /// getting all of it.
    buckets: [Mutex<TokenBucket>; 2],
    counters: Counters,
}

/// A lock that shrugs off poisoning: the guarded values stay consistent
/// whatever panicked while holding them.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn shape(&self, direction: Direction) -> LinkShape {
        self.profile.borrow().shape(direction)
    }

    /// Charges the bucket for `bytes` and says how long to hold them.
    fn reserve(&self, direction: Direction, shape: &LinkShape, bytes: u64) -> Duration {
        let mut bucket = lock(&self.buckets[direction.index()]);
        match shape.bytes_per_sec {
            Some(rate) => bucket.reserve(bytes, rate, shape.burst_bytes, std::time::Instant::now()),
            None => {
                bucket.reset();
                Duration::ZERO
            }
        }
    }
}

/// Runtime control of a running proxy; cheap to clone, usable from any task.
#[derive(Debug, Clone)]
pub struct ProxyHandle {
    shared: Arc<Shared>,
}

impl ProxyHandle {
    /// Reshapes the link from the next chunk on, for open connections too.
    pub fn set_profile(&self, profile: Profile) {
        self.shared.profile.send_replace(profile);
    }

    /// The link's shape now.
    pub fn profile(&self) -> Profile {
        *self.shared.profile.borrow()
    }

    /// Arms a one-shot cut: the link dies once `bytes` more bytes have been
    /// read in `direction`, counted over all connections from now on. The
    /// connection that carries the last of them forwards exactly up to the
    /// budget, then is closed: the receiving side gets the bytes and an end
    /// of stream, the sending side is dropped (a reset if it still had data
    /// in flight). Later connections are not cut. `bytes == 0` kills the
    /// next connection that sends anything that way, before any byte of it.
    /// Arming again replaces the budget.
    pub fn cut_after_bytes(&self, direction: Direction, bytes: u64) {
        lock(&self.shared.cuts).arm_once(direction, bytes);
    }

    /// Arms a standing cut: every connection, open or new, dies after
    /// forwarding `bytes` of its own in `direction` (for an open connection,
    /// counted from its start). `None` disarms it. Models a link that never
    /// lasts long enough, so a transfer only finishes if it resumes.
    pub fn cut_each_connection_after(&self, direction: Direction, bytes: Option<u64>) {
        lock(&self.shared.cuts).arm_each(direction, bytes);
    }

    /// Arms a one-shot corruption: after `bytes` more bytes have been read
    /// in `direction` (counted over all connections from now on), the next
    /// byte is forwarded with its bits inverted; the connection goes on as
    /// if nothing happened (a bad cable or a broken middlebox, which TCP's
    /// own checksum does not catch between real processes on loopback).
    pub fn flip_byte_after(&self, direction: Direction, bytes: u64) {
        lock(&self.shared.cuts).arm_flip(direction, bytes);
    }

    /// Disarms every cut in both directions.
    pub fn clear_cuts(&self) {
        lock(&self.shared.cuts).clear();
    }

    /// Stalls the link: connections are still accepted but nothing is
    /// forwarded either way (new ones do not even reach the target) until
    /// [`ProxyHandle::restore`]. The idle timeout keeps running.
    pub fn blackhole(&self) {
        self.shared.blackholed.send_replace(true);
    }

    /// Ends a blackhole: held bytes flow on in order.
    pub fn restore(&self) {
        self.shared.blackholed.send_replace(false);
    }

    /// Whether the link is blackholed now.
    pub fn is_blackholed(&self) -> bool {
        *self.shared.blackholed.borrow()
    }

    /// Closes every open connection at once, both sides, with whatever was
    /// still queued lost. Connections accepted afterwards work as usual.
    pub fn drop_all_connections(&self) {
        self.shared
            .epoch
            .send_modify(|epoch| *epoch = epoch.wrapping_add(1));
    }

    /// The counters now.
    pub fn stats(&self) -> Stats {
        let c = &self.shared.counters;
        let get = |counter: &AtomicU64| counter.load(Ordering::SeqCst);
        Stats {
            bytes_up: get(&c.bytes[Direction::Up.index()]),
            bytes_down: get(&c.bytes[Direction::Down.index()]),
            connections_accepted: get(&c.accepted),
            connections_open: get(&c.open),
            connections_cut: get(&c.cut),
            connections_dropped: get(&c.dropped),
            connections_timed_out: get(&c.timed_out),
            connect_failures: get(&c.connect_failures),
            bytes_flipped: get(&c.flipped),
        }
    }
}

/// A running proxy. It stops when dropped (or by [`Proxy::shutdown`]),
/// closing every connection. It derefs to its [`ProxyHandle`], so
/// `proxy.blackhole()` works; `proxy.handle()` gives a clone to move into
/// another task.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    handle: ProxyHandle,
    accept: JoinHandle<()>,
}

impl Proxy {
    /// Listens (on `127.0.0.1:0` by default) and starts forwarding to
    /// `config.target`. Must be called inside a Tokio runtime.
    pub async fn start(config: ProxyConfig) -> Result<Proxy, ProxyError> {
        if !config.listen.ip().is_loopback() {
            return Err(ProxyError::NotLoopback(config.listen));
        }
        if config.max_connections == 0 {
            return Err(ProxyError::NoConnections);
        }
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| ProxyError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let addr = listener.local_addr().map_err(|source| ProxyError::Bind {
            addr: config.listen,
            source,
        })?;
        let shared = Arc::new(Shared {
            target: config.target,
            idle_timeout: config.idle_timeout,
            connect_timeout: config.connect_timeout,
            seed: config.seed,
            profile: watch::Sender::new(config.profile),
            blackholed: watch::Sender::new(false),
            epoch: watch::Sender::new(0),
            cuts: Mutex::new(Cuts::default()),
            buckets: Default::default(),
            counters: Counters::default(),
        });
        let slots = Arc::new(Semaphore::new(
            config.max_connections.min(Semaphore::MAX_PERMITS),
        ));
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&shared), slots));
        debug!(%addr, target = %config.target, profile = ?config.profile, "netem proxy started");
        Ok(Proxy {
            addr,
            handle: ProxyHandle { shared },
            accept,
        })
    }

    /// The address clients connect to instead of the target.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A handle to change the link while the proxy runs.
    pub fn handle(&self) -> ProxyHandle {
        self.handle.clone()
    }

    /// Stops accepting and closes every connection, and waits for the
    /// accept loop to be gone.
    pub async fn shutdown(mut self) {
        self.accept.abort();
        // The result is the cancellation we just asked for.
        let _ = (&mut self.accept).await;
    }
}

impl Deref for Proxy {
    type Target = ProxyHandle;

    fn deref(&self) -> &ProxyHandle {
        &self.handle
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Dropping the accept task drops its JoinSet, which aborts every
        // connection task.
        self.accept.abort();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, slots: Arc<Semaphore>) {
    let mut connections = JoinSet::new();
    let mut next_id = 0u64;
    loop {
        // Reap finished connections; at most max_connections are kept.
        while connections.try_join_next().is_some() {}
        let Ok(permit) = Arc::clone(&slots).acquire_owned().await else {
            return;
        };
        match listener.accept().await {
            Ok((client, peer)) => {
                next_id = next_id.wrapping_add(1);
                let _ = client.set_nodelay(true);
                shared.counters.accepted.fetch_add(1, Ordering::SeqCst);
                let open = OpenGuard::new(Arc::clone(&shared));
                debug!(id = next_id, %peer, "accepted");
                connections.spawn(serve(client, open, next_id, permit));
            }
            Err(error) => {
                debug!(%error, "accept failed");
                drop(permit);
                sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// Counts a connection as open for as long as it lives, however it ends
/// (aborted tasks included).
struct OpenGuard(Arc<Shared>);

impl OpenGuard {
    fn new(shared: Arc<Shared>) -> OpenGuard {
        shared.counters.open.fetch_add(1, Ordering::SeqCst);
        OpenGuard(shared)
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.counters.open.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How a connection ended.
#[derive(Debug)]
enum Ending {
    /// Both sides closed their direction in turn.
    Closed,
    Cut(Direction),
    Dropped,
    IdleTimeout,
    ConnectFailed,
    Failed(io::Error),
}

async fn serve(client: TcpStream, open: OpenGuard, id: u64, _slot: OwnedSemaphorePermit) {
    let shared = &*open.0;
    let ending = relay(client, shared, id).await;
    let counters = &shared.counters;
    let counter = match &ending {
        Ending::Closed => None,
        Ending::Failed(error) => {
            debug!(id, %error, "connection failed");
            None
        }
        Ending::Cut(_) => Some(&counters.cut),
        Ending::Dropped => Some(&counters.dropped),
        Ending::IdleTimeout => Some(&counters.timed_out),
        Ending::ConnectFailed => Some(&counters.connect_failures),
    };
    if let Some(counter) = counter {
        counter.fetch_add(1, Ordering::SeqCst);
    }
    debug!(id, ?ending, "connection ended");
}

async fn relay(mut client: TcpStream, shared: &Shared, id: u64) -> Ending {
    let mut epoch = shared.epoch.subscribe();
    let mut blackholed = shared.blackholed.subscribe();

    // A blackholed link carries no SYN either: wait before dialing.
    tokio::select! {
        _ = blackholed.wait_for(|b| !*b) => {}
        _ = epoch.changed() => return Ending::Dropped,
        _ = sleep(shared.idle_timeout) => return Ending::IdleTimeout,
    }
    let mut server = tokio::select! {
        dialed = timeout(shared.connect_timeout, TcpStream::connect(shared.target)) => {
            match dialed {
                Ok(Ok(server)) => server,
                Ok(Err(error)) => {
                    debug!(id, %error, "target unreachable");
                    return Ending::ConnectFailed;
                }
                Err(_) => return Ending::ConnectFailed,
            }
        }
        _ = epoch.changed() => return Ending::Dropped,
    };
    let _ = server.set_nodelay(true);

    let activity = Activity::new();
    let ending = {
        let (mut client_read, mut client_write) = client.split();
        let (mut server_read, mut server_write) = server.split();
        let seed = shared.seed ^ id.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let up = pump(
            Direction::Up,
            &mut client_read,
            &mut server_write,
            shared,
            &activity,
            SmallRng::seed_from_u64(seed),
        );
        let down = pump(
            Direction::Down,
            &mut server_read,
            &mut client_write,
            shared,
            &activity,
            SmallRng::seed_from_u64(seed.rotate_left(32)),
        );
        let idle = activity.expired(shared.idle_timeout);
        tokio::pin!(up, down, idle);
        let (mut up_done, mut down_done) = (false, false);
        loop {
            tokio::select! {
                flow = &mut up, if !up_done => match flow {
                    Flow::Eof if down_done => break Ending::Closed,
                    Flow::Eof => up_done = true,
                    Flow::Cut => break Ending::Cut(Direction::Up),
                    Flow::Failed(error) => break Ending::Failed(error),
                },
                flow = &mut down, if !down_done => match flow {
                    Flow::Eof if up_done => break Ending::Closed,
                    Flow::Eof => down_done = true,
                    Flow::Cut => break Ending::Cut(Direction::Down),
                    Flow::Failed(error) => break Ending::Failed(error),
                },
                _ = epoch.changed() => break Ending::Dropped,
                _ = &mut idle => break Ending::IdleTimeout,
            }
        }
    };

    // After a cut the receiving side has been sent its bytes and a FIN.
    // Drop the sending side now; read the receiving side dry for a moment
    // so that closing it cannot turn into a reset that discards those bytes.
    match ending {
        Ending::Cut(Direction::Up) => {
            drop(client);
            drain(&mut server).await;
        }
        Ending::Cut(Direction::Down) => {
            drop(server);
            drain(&mut client).await;
        }
        _ => {}
    }
    ending
}

async fn drain(stream: &mut TcpStream) {
    let mut buf = vec![0u8; 4096];
    let mut left = DRAIN_MAX_BYTES;
    let _ = timeout(DRAIN_GRACE, async {
        while left > 0 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => left = left.saturating_sub(n),
            }
        }
    })
    .await;
}

/// When a byte last crossed the link, either way.
struct Activity {
    start: Instant,
    /// Nanoseconds from `start` (u64 lasts 584 years).
    last_nanos: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_nanos: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let nanos = u64::try_from(self.start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last_nanos.store(nanos, Ordering::Relaxed);
    }

    /// Resolves once nothing has crossed for `idle`.
    async fn expired(&self, idle: Duration) {
        loop {
            let last = self.start + Duration::from_nanos(self.last_nanos.load(Ordering::Relaxed));
            let deadline = last + idle;
            if Instant::now() >= deadline {
                return;
            }
            sleep_until(deadline).await;
        }
    }
}

/// How one direction ended.
#[derive(Debug)]
enum Flow {
    /// The source closed its side; the FIN was passed on.
    Eof,
    /// A cut fired after the last allowed byte was written.
    Cut,
    Failed(io::Error),
}

/// What travels down a pump's queue.
#[derive(Debug)]
enum Chunk {
    Data { bytes: Vec<u8>, due: Instant },
    Eof { due: Instant },
    Cut,
}

async fn pump<R, W>(
    direction: Direction,
    source: &mut R,
    destination: &mut W,
    shared: &Shared,
    activity: &Activity,
    rng: SmallRng,
) -> Flow
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let (queue, chunks) = mpsc::channel(QUEUE_CHUNKS);
    let reader = read_side(direction, source, queue, shared, rng);
    let writer = write_side(direction, destination, chunks, shared, activity);
    tokio::pin!(reader, writer);
    let mut reader_done = false;
    loop {
        tokio::select! {
            read = &mut reader, if !reader_done => match read {
                Ok(()) => reader_done = true,
                Err(error) => return Flow::Failed(error),
            },
            flow = &mut writer => return flow,
        }
    }
}

fn delay(shape: &LinkShape, rng: &mut SmallRng) -> Duration {
    let jitter = u64::try_from(shape.jitter.as_nanos()).unwrap_or(u64::MAX);
    let extra = if jitter == 0 {
        0
    } else {
        rng.random_range(0..=jitter)
    };
    shape.latency.saturating_add(Duration::from_nanos(extra))
}

async fn read_side<R>(
    direction: Direction,
    source: &mut R,
    queue: mpsc::Sender<Chunk>,
    shared: &Shared,
    mut rng: SmallRng,
) -> io::Result<()>
where
    R: AsyncRead + Unpin,
{
    let mut blackholed = shared.blackholed.subscribe();
    let mut so_far = 0u64;
    loop {
        let _ = blackholed.wait_for(|b| !*b).await;
        let mut bytes = vec![0u8; shared.shape(direction).chunk_limit()];
        let n = source.read(&mut bytes).await?;
        let shape = shared.shape(direction);
        if n == 0 {
            let due = Instant::now() + delay(&shape, &mut rng);
            // A send fails only if the writer is gone, and then so is the pump.
            let _ = queue.send(Chunk::Eof { due }).await;
            return Ok(());
        }
        let admission = lock(&shared.cuts).admit(direction, n as u64, so_far);
        so_far += admission.take;
        if admission.take > 0 {
            bytes.truncate(usize::try_from(admission.take).unwrap_or(n).min(n));
            let flip = lock(&shared.cuts).flip_in(direction, bytes.len() as u64);
            if let Some(byte) = flip.and_then(|k| bytes.get_mut(usize::try_from(k).ok()?)) {
                *byte = !*byte;
                shared.counters.flipped.fetch_add(1, Ordering::SeqCst);
            }
            let wait = shared.reserve(direction, &shape, admission.take);
            if !wait.is_zero() {
                sleep(wait).await;
            }
            let due = Instant::now() + delay(&shape, &mut rng);
            if queue.send(Chunk::Data { bytes, due }).await.is_err() {
                return Ok(());
            }
        }
        if admission.cut {
            let _ = queue.send(Chunk::Cut).await;
            return Ok(());
        }
    }
}

async fn write_side<W>(
    direction: Direction,
    destination: &mut W,
    mut chunks: mpsc::Receiver<Chunk>,
    shared: &Shared,
    activity: &Activity,
) -> Flow
where
    W: AsyncWrite + Unpin,
{
    let mut blackholed = shared.blackholed.subscribe();
    // Chunks leave in order: none before the one ahead of it.
    let mut not_before = Instant::now();
    while let Some(chunk) = chunks.recv().await {
        match chunk {
            Chunk::Data { bytes, due } => {
                not_before = not_before.max(due);
                sleep_until(not_before).await;
                let _ = blackholed.wait_for(|b| !*b).await;
                if let Err(error) = destination.write_all(&bytes).await {
                    return Flow::Failed(error);
                }
                shared.counters.bytes[direction.index()]
                    .fetch_add(bytes.len() as u64, Ordering::SeqCst);
                activity.touch();
            }
            Chunk::Eof { due } => {
                not_before = not_before.max(due);
                sleep_until(not_before).await;
                let _ = blackholed.wait_for(|b| !*b).await;
                return match destination.shutdown().await {
                    Ok(()) => Flow::Eof,
                    Err(error) => Flow::Failed(error),
                };
            }
            Chunk::Cut => {
                // The peer may be gone already; the cut happens either way.
                let _ = destination.shutdown().await;
                return Flow::Cut;
            }
        }
    }
    Flow::Failed(io::Error::other("the reading side stopped"))
}
