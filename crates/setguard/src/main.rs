//! The `setguard` binary; everything is in the library (see `cli`).

/// jemalloc rather than glibc's malloc: the server's tasks move between threads, and glibc then
/// frees into other threads' arenas under their locks (BENCHMARKS.md, "The server over HTTP").
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    setguard::cli::main()
}
