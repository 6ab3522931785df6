//! `banter`: serve the Chat API, and manage accounts and API keys (see `banter::cli`).

/// mimalloc: request handling allocates many small, short-lived buffers across threads, where
/// it is markedly faster than the system allocator (measured with `bench/run`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    banter::cli::run().await
}
