//! The setup wizard's core: the choices it keeps ([`choices`]), where the setup stands,
//! derived from the machine ([`progress`]), and the read-only system check
//! ([`system_check`]). The server gathers the facts; the wizard in the UI and the API show
//! them.

pub mod choices;
pub mod progress;
pub mod system_check;

pub use choices::{
    ChoiceRefused, GitlabOutcome, SetupChoices, SetupEngine, SetupFile, SetupFileError, SetupPath,
    SETUP_VERSION,
};
pub use progress::{progress, EngineFact, SetupFacts, SetupProgress, SetupStep, StepId, StepState};
pub use system_check::{system_check, Reach, SystemCheckFacts};
