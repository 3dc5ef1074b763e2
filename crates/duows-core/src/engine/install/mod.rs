//! Installing an engine into the app's own virtual environment, with pip, from the
//! package registries only.
//!
//! The steps: check free disk, create `<data folder>/venvs/<engine>` (Python's `venv`),
//! bring its pip up to date (best effort: pip 24.1 and newer report bytes as they
//! download), resolve the pinned requirement with `pip install --dry-run --report` to learn
//! every package and its download address, ask the index for their sizes, then install while
//! reading pip's output for the current package and the bytes fetched. pip keeps finished
//! downloads in its cache, so a second attempt after a cancel or failure fetches only what
//! is missing. Cancelling stops pip's whole process group.
//!
//! The vLLM release is the one a model needs (the oldest the app installs that is at least
//! its `min_vllm`), or the newest when no model is named.
//!
//! pip honours its own configuration (`PIP_INDEX_URL`, `pip.conf`), so a mirror or a
//! private index works as it does for any other pip command.
//!
//! - `types`: what to install, its progress and phases, what was installed, why it failed.
//! - `sequence`: the steps above, in order ([`install`]).
//! - `steps`: runs one step's command to its end, keeps its last lines, stops it on cancel.
//! - `report`: reads pip's `--dry-run --report` into the files to fetch and their sizes.
//! - `pip_output`: reads `pip install`'s output lines into progress.
//! - `release`: which vLLM release a model gets, its CUDA build, and whether a driver runs it.

mod pip_output;
mod release;
mod report;
mod sequence;
mod steps;
mod types;

pub use release::{
    build_of, driver_verdict, newest_release, release_for_model, DriverFit, DriverVerdict,
    ReleaseBuild, RELEASE_BUILDS,
};
pub use sequence::install;
pub use types::{
    InstallError, InstallPhase, InstallProgress, InstallSpec, Installed, LLAMA_CPP_PYTHON_VERSION,
    RAY_VERSION,
};
