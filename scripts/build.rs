//! With the default engine (HiGHS, cargo feature `highs`), the build compiles
//! HiGHS from source: that needs cmake, a C++ compiler and libclang. Their own
//! build scripts fail with a panic deep in bindgen or cmake's output; this one
//! usually fails first (it needs only clang-sys, while HiGHS's build script
//! waits for bindgen to compile) and says what is missing and how to get it. `FAULTPLAN_SKIP_BUILD_CHECK=1` skips it for setups it cannot see
//! (a cross toolchain, libclang somewhere only `LIBCLANG_PATH` names at
//! HiGHS's build time).

#[cfg(feature = "highs")]
use std::env;
#[cfg(feature = "highs")]
use std::process::{Command, Stdio};

fn main() {
    println!("cargo:rerun-if-env-changed=FAULTPLAN_SKIP_BUILD_CHECK");
    println!("cargo:rerun-if-env-changed=CMAKE");
    println!("cargo:rerun-if-env-changed=CXX");
    println!("cargo:rerun-if-env-changed=LIBCLANG_PATH");
    #[cfg(feature = "highs")]
    if env::var_os("FAULTPLAN_SKIP_BUILD_CHECK").is_none() {
        check_highs_prerequisites();
    }
}

#[cfg(feature = "highs")]
fn check_highs_prerequisites() {
    let mut missing = Vec::new();
    // The cmake crate and the cc crate look these variables up first, too.
    let cmake = env::var("CMAKE").unwrap_or_else(|_| "cmake".into());
    if !runs(&cmake) {
        missing.push(format!("cmake (`{cmake} --version` did not run)"));
    }
    let cxx = env::var("CXX").unwrap_or_else(|_| "c++".into());
    if !runs(&cxx) {
        missing.push(format!("a C++ compiler (`{cxx} --version` did not run)"));
    }
    if let Err(search) = clang_sys::load() {
        missing.push(format!("libclang ({search})"));
    }
    if missing.is_empty() {
        return;
    }
    let list = missing
        .iter()
        .map(|m| format!("  - {m}"))
        .collect::<Vec<_>>()
        .join("\n");
    // A message and an exit status, not a panic: no backtrace to wade through.
    eprintln!(
        "\n\nfaultplan's default engine, HiGHS, is built from source and this machine lacks:\n{list}\n\n\
         On Debian or Ubuntu: `scripts/setup` (or `sudo apt-get install cmake g++ libclang-dev`).\n\
         Or build the pure-Rust engine instead, slower on tight fleets (docs/benchmarks.md):\n  \
         cargo build --release --no-default-features\n\n"
    );
    std::process::exit(1);
}

#[cfg(feature = "highs")]
fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
