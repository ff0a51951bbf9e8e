//! The `setguard` binary; everything is in the library (see `cli`).

fn main() -> std::process::ExitCode {
    setguard::cli::main()
}
