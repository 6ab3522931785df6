//! The write pipeline of the SQLite backend: group commit, a pipelined WAL sync, checkpoints.
//!
//! - The **writer** thread owns the only writing connection. It opens a transaction for the
//!   first waiting write, runs every write that arrives in its own savepoint (a failing write
//!   rolls back to its savepoint and does not disturb its batch-mates), and commits the batch.
//! - The **syncer** thread makes a committed batch durable (`fdatasync` of the WAL) and only then
//!   answers its callers. While it syncs, the writer already runs the next batch, which it
//!   commits as soon as the sync is done: execution overlaps the disk flush, and the slower the
//!   disk, the larger the batches. A later sync covers every earlier commit, so callers are
//!   answered in commit order and never before their own data is on disk.
//! - The **checkpointer** thread copies the WAL back into the database file off the writer's path.
//!
//! With [`Durability::Normal`] there is no syncer: callers are answered after the commit.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::Durability;

/// How many writes at most share one commit.
const MAX_BATCH: usize = 512;

/// With a flush slot free, the writer keeps collecting while writes keep coming at least this
/// often...
const LINGER_GAP: Duration = Duration::from_micros(50);
/// ...but for no longer than this in total: a burst of clients shares one commit. While a flush
/// runs, writes collect anyway; lingering longer only adds latency (measured: 1 ms of linger
/// cost a third of the throughput, 200 µs is the best of 0/100/200/500 µs).
const LINGER_MAX: Duration = Duration::from_micros(200);

/// How many committed batches may be flushing at once. A flush of the WAL covers every page
/// written before the call, so more than one could overlap; measured on a 2-core VM, one in
/// flight (batches strictly in order) is as fast as two to four.
const SYNC_DEPTH: usize = 1;

/// The checkpointer copies the WAL back at most this often (and only after commits).
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Answers one caller with the fate of its batch (`Err` when it did not become durable).
pub(super) type Completion = Box<dyn FnOnce(Result<(), String>) + Send>;

/// One write: runs on the writer's connection inside a savepoint and reports whether it
/// succeeded (a failure is rolled back) and how to answer its caller.
pub(super) type Job = Box<dyn FnOnce(&Connection) -> (bool, Completion) + Send>;

/// What the writer thread receives.
pub(super) enum Msg {
    /// A write to run.
    Job(Job),
    /// The syncer finished the batch in flight.
    Synced,
    /// The store is closing.
    Stop,
}

/// Starts the writer, syncer and checkpointer threads for the database at `path`; `conn` is
/// the writing connection (migrated, in WAL mode, with `synchronous` as `durability` asks).
///
/// # Errors
/// When a thread cannot be started or a connection cannot be configured.
pub(super) fn start(
    path: &Path,
    conn: Connection,
    checkpoint_conn: Connection,
    durability: Durability,
) -> Result<mpsc::Sender<Msg>, String> {
    let (tx, rx) = mpsc::channel();
    let syncer = match durability {
        Durability::Full => {
            // The commit itself does not flush; the syncer does, off the writer's thread.
            conn.execute_batch("pragma synchronous = normal")
                .map_err(|e| e.to_string())?;
            let (to_syncer, batches) = mpsc::channel();
            let batches = Arc::new(Mutex::new(batches));
            for _ in 0..SYNC_DEPTH {
                let wal = wal_path(path);
                let back = tx.clone();
                let batches = Arc::clone(&batches);
                std::thread::Builder::new()
                    .name("banter-sqlite-sync".into())
                    .spawn(move || sync_loop(&wal, &batches, &back))
                    .map_err(|e| e.to_string())?;
            }
            Some(to_syncer)
        }
        Durability::Normal => None,
    };
    let (committed, commits) = mpsc::sync_channel(1);
    let backfilled = Arc::new(AtomicBool::new(false));
    let checkpointer = Checkpointer {
        committed,
        backfilled: Arc::clone(&backfilled),
    };
    std::thread::Builder::new()
        .name("banter-sqlite-writer".into())
        .spawn(move || writer_loop(&conn, &rx, syncer.as_ref(), &checkpointer))
        .map_err(|e| e.to_string())?;
    std::thread::Builder::new()
        .name("banter-sqlite-checkpoint".into())
        .spawn(move || checkpoint_loop(&checkpoint_conn, &commits, &backfilled))
        .map_err(|e| e.to_string())?;
    Ok(tx)
}

fn wal_path(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// A committed batch on its way to the syncer.
type Committed = Vec<Completion>;

/// The writer's side of the checkpointer.
struct Checkpointer {
    /// Signalled after every commit.
    committed: mpsc::SyncSender<()>,
    /// Set by the checkpointer when it has copied the bulk of the WAL.
    backfilled: Arc<AtomicBool>,
}

/// The batch being built: an open transaction and the callers waiting for it.
struct Batch<'c> {
    conn: &'c Connection,
    done: Vec<Completion>,
    open: bool,
    error: Option<String>,
}

impl<'c> Batch<'c> {
    fn new(conn: &'c Connection) -> Self {
        Self {
            conn,
            done: Vec::with_capacity(64),
            open: false,
            error: None,
        }
    }

    fn run(&self, sql: &str) -> Result<(), String> {
        self.conn
            .prepare_cached(sql)
            .and_then(|mut s| s.execute([]))
            .map(drop)
            .map_err(|e| e.to_string())
    }

    /// Runs `job` in its own savepoint. After a failure of the transaction itself, later jobs
    /// are dropped unrun: their callers see the channel close and report the store unavailable.
    fn add(&mut self, job: Job) {
        if self.error.is_some() {
            return;
        }
        if !self.open {
            if let Err(e) = self.run("begin immediate") {
                self.error = Some(e);
                return;
            }
            self.open = true;
        }
        let step = self.run("savepoint job").and_then(|()| {
            let (ok, completion) = job(self.conn);
            self.done.push(completion);
            if ok { Ok(()) } else { self.run("rollback to job") }
        });
        if let Err(e) = step.and_then(|()| self.run("release job")) {
            self.error = Some(e);
        }
    }

    fn len(&self) -> usize {
        self.done.len()
    }

    /// Commits; on failure rolls back and answers every caller with the error.
    fn commit(mut self) -> Result<Committed, ()> {
        let result = match self.error.take() {
            None => self.run("commit"),
            Some(e) => Err(e),
        };
        match result {
            Ok(()) => Ok(self.done),
            Err(e) => {
                let _ = self.conn.execute_batch("rollback");
                for completion in self.done {
                    completion(Err(e.clone()));
                }
                Err(())
            }
        }
    }
}

fn writer_loop(
    conn: &Connection,
    rx: &mpsc::Receiver<Msg>,
    syncer: Option<&mpsc::Sender<Committed>>,
    checkpointer: &Checkpointer,
) {
    let mut in_flight = 0usize;
    let mut stopping = false;
    while !stopping {
        let first = match rx.recv() {
            Ok(Msg::Job(job)) => job,
            Ok(Msg::Synced) => {
                in_flight -= 1;
                continue;
            }
            Ok(Msg::Stop) | Err(_) => break,
        };
        let mut batch = Batch::new(conn);
        batch.add(first);
        let deadline = Instant::now() + LINGER_MAX;
        while batch.len() < MAX_BATCH {
            let next = if in_flight >= SYNC_DEPTH {
                // Keep filling the batch until a flush finishes.
                rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected)
            } else {
                rx.recv_timeout(deadline.saturating_duration_since(Instant::now()).min(LINGER_GAP))
            };
            match next {
                Ok(Msg::Job(job)) => batch.add(job),
                Ok(Msg::Synced) => {
                    in_flight -= 1;
                    if in_flight + 1 < SYNC_DEPTH {
                        // A flush finished while this batch lingers: keep lingering.
                        continue;
                    }
                    // Take what is already queued, then commit at once.
                    while batch.len() < MAX_BATCH {
                        match rx.try_recv() {
                            Ok(Msg::Job(job)) => batch.add(job),
                            Ok(Msg::Synced) => in_flight -= 1,
                            Ok(Msg::Stop) | Err(mpsc::TryRecvError::Disconnected) => {
                                stopping = true;
                                break;
                            }
                            Err(mpsc::TryRecvError::Empty) => break,
                        }
                    }
                    break;
                }
                Ok(Msg::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                    stopping = true;
                    break;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => break,
            }
        }
        if in_flight >= SYNC_DEPTH && wait_synced(rx, &mut batch, &mut stopping) {
            // A full batch waits for a free flush slot.
            in_flight -= 1;
        }
        let Ok(done) = batch.commit() else { continue };
        match syncer {
            Some(syncer) => {
                if let Err(mpsc::SendError(done)) = syncer.send(done) {
                    for completion in done {
                        completion(Err("sync thread stopped".into()));
                    }
                } else {
                    in_flight += 1;
                }
            }
            None => {
                for completion in done {
                    completion(Ok(()));
                }
            }
        }
        if checkpointer.backfilled.swap(false, Ordering::AcqRel) {
            // Only the frames committed since the checkpointer's pass are left: copying them
            // here is quick, and a complete checkpoint lets the next transaction restart the WAL
            // from its beginning (the checkpointer alone never completes one under steady load).
            let _ = conn.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(()));
        }
        let _ = checkpointer.committed.try_send(());
    }
    // Let the last flushes finish before the connection closes.
    while in_flight > 0 {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(Msg::Synced) => in_flight -= 1,
            Ok(_) => {}
            Err(_) => break,
        }
    }
}

/// Waits for a flush to finish, still running writes that arrive. True once one finished.
fn wait_synced(rx: &mpsc::Receiver<Msg>, batch: &mut Batch<'_>, stopping: &mut bool) -> bool {
    loop {
        match rx.recv() {
            Ok(Msg::Synced) => return true,
            Ok(Msg::Job(job)) => batch.add(job),
            Ok(Msg::Stop) | Err(_) => {
                *stopping = true;
                return false;
            }
        }
    }
}

/// Flushes the WAL for each committed batch, answers its callers, and tells the writer. Ends
/// when the writer does. [`SYNC_DEPTH`] of these share the queue of committed batches.
fn sync_loop(wal: &Path, batches: &Mutex<mpsc::Receiver<Committed>>, writer: &mpsc::Sender<Msg>) {
    let mut file: Option<File> = None;
    loop {
        let next = match batches.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(done) = next else { return };
        let result = sync(wal, &mut file);
        for completion in done {
            completion(result.clone());
        }
        if writer.send(Msg::Synced).is_err() {
            break;
        }
    }
}

/// `fdatasync` of the WAL file (opened once; a flush through any descriptor covers the file).
fn sync(wal: &Path, file: &mut Option<File>) -> Result<(), String> {
    if file.is_none() {
        *file = Some(
            File::options()
                .read(true)
                .write(true)
                .open(wal)
                .map_err(|e| format!("opening {}: {e}", wal.display()))?,
        );
    }
    let result = file.as_ref().map_or(Ok(()), File::sync_data);
    result.map_err(|e| {
        *file = None;
        format!("flushing the WAL: {e}")
    })
}

/// Copies committed WAL frames into the database file (a passive checkpoint never blocks the
/// writer or readers), at most every [`CHECKPOINT_EVERY`] and only after commits, then asks the
/// writer to finish the job (see [`writer_loop`]), so the WAL stays small. Ends with the writer.
fn checkpoint_loop(conn: &Connection, commits: &mpsc::Receiver<()>, backfilled: &AtomicBool) {
    while commits.recv().is_ok() {
        std::thread::sleep(CHECKPOINT_EVERY);
        match conn.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(())) {
            Ok(()) => backfilled.store(true, Ordering::Release),
            Err(e) => tracing::warn!(error = %e, "sqlite checkpoint failed; retrying after the next commit"),
        }
    }
    let _ = conn.query_row("pragma wal_checkpoint(passive)", [], |_| Ok(()));
}
