//! Where the setup stands, derived from the machine rather than remembered: a step is done
//! when what it makes exists (the engine installed, the weights complete, the engine ready,
//! features routed and a key made), so a wizard closed mid-way and opened again, or run on a
//! machine set up by hand, resumes at the first step whose result is missing. Pure: the
//! server gathers [`SetupFacts`].

use serde::{Deserialize, Serialize};

use super::choices::{SetupChoices, SetupPath};

/// The wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StepId {
    /// What will happen, and the path: recommended, own weights, plan only.
    Welcome,
    /// The read-only system check.
    Check,
    /// The Duo features wanted.
    Features,
    /// The model, with its fit.
    Model,
    /// The engine program installed.
    Engine,
    /// The weights on disk.
    Weights,
    /// The engine started and ready.
    Launch,
    /// Features routed to it through the gateway, and a key.
    Gateway,
    /// GitLab told about it.
    Gitlab,
    /// The summary and a test request.
    Done,
}

impl StepId {
    /// Every step, in order.
    pub const ALL: [StepId; 10] = [
        StepId::Welcome,
        StepId::Check,
        StepId::Features,
        StepId::Model,
        StepId::Engine,
        StepId::Weights,
        StepId::Launch,
        StepId::Gateway,
        StepId::Gitlab,
        StepId::Done,
    ];
}

/// How a step stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum StepState {
    /// Its result exists.
    Done,
    /// Not needed on the chosen path (planning only).
    Skipped,
    /// Its result is missing.
    Todo,
}

/// One step with how it stands, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SetupStep {
    /// Which step.
    pub id: StepId,
    /// How it stands.
    pub state: StepState,
    /// What is there, or what is missing.
    pub summary: String,
}

/// The engine of this app that serves the chosen model, as the supervisor reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct EngineFact {
    /// Its served name.
    pub name: String,
    /// Whether it answers requests.
    pub ready: bool,
    /// Its state in a word (`starting`, `ready`, `failed`, …).
    pub state: String,
}

/// What the machine says about the setup's results.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(optional_fields = nullable)]
pub struct SetupFacts {
    /// The chosen model's display name in the catalog (`Llama 3.1 8B Instruct`).
    pub model_name: Option<String>,
    /// The engine program for the chosen model is installed and new enough; unknown before
    /// a model is chosen.
    pub engine_installed: Option<bool>,
    /// Why the engine program does not do, when it does not.
    pub engine_problem: Option<String>,
    /// The chosen weights are on disk and complete; unknown before a model is chosen.
    pub weights_present: Option<bool>,
    /// Why the weights are not ready, when they are not.
    pub weights_problem: Option<String>,
    /// The engine of this app serving the chosen model, if one runs.
    pub engine: Option<EngineFact>,
    /// How many Duo features are routed to that engine.
    pub routed_features: usize,
    /// How many gateway keys are active.
    pub active_keys: usize,
}

/// Every step with its state, and the step to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct SetupProgress {
    /// The steps in order.
    pub steps: Vec<SetupStep>,
    /// The first step whose result is missing (`done` when everything is there).
    pub current: StepId,
}

/// The steps' states from the choices and the facts.
pub fn progress(choices: &SetupChoices, facts: &SetupFacts) -> SetupProgress {
    let plan_only = choices.path == Some(SetupPath::PlanOnly);
    let steps: Vec<SetupStep> = StepId::ALL
        .iter()
        .map(|&id| {
            let (state, summary) = judge(id, choices, facts, plan_only);
            SetupStep { id, state, summary }
        })
        .collect();
    let current = steps
        .iter()
        .find(|s| s.state == StepState::Todo)
        .map_or(StepId::Done, |s| s.id);
    SetupProgress { steps, current }
}

fn judge(
    id: StepId,
    choices: &SetupChoices,
    facts: &SetupFacts,
    plan_only: bool,
) -> (StepState, String) {
    let done = |summary: String| (StepState::Done, summary);
    let todo = |summary: &str| (StepState::Todo, summary.to_owned());
    let running = "skipped: planning only".to_owned();
    match id {
        StepId::Welcome => match choices.path {
            Some(SetupPath::Recommended) => done("the recommended model".into()),
            Some(SetupPath::OwnWeights) => done("weights already on this machine".into()),
            Some(SetupPath::PlanOnly) => done("planning only".into()),
            None => todo("choose how to set up"),
        },
        StepId::Check => match choices.checked_at_ms {
            Some(_) => done("checked".into()),
            None => todo("not checked yet"),
        },
        StepId::Features => match choices.features.len() {
            0 => todo("choose the Duo features"),
            1 => done("1 feature".into()),
            n => done(format!("{n} features")),
        },
        StepId::Model => match &choices.model {
            Some(model) => done(facts.model_name.clone().unwrap_or_else(|| model.clone())),
            None => todo("choose a model"),
        },
        _ if plan_only && id != StepId::Done => (StepState::Skipped, running),
        StepId::Engine => match facts.engine_installed {
            Some(true) => done("installed".into()),
            _ => (
                StepState::Todo,
                facts
                    .engine_problem
                    .clone()
                    .unwrap_or_else(|| "not installed".into()),
            ),
        },
        StepId::Weights => match facts.weights_present {
            Some(true) => done("on disk".into()),
            _ => (
                StepState::Todo,
                facts
                    .weights_problem
                    .clone()
                    .unwrap_or_else(|| "not downloaded".into()),
            ),
        },
        StepId::Launch => match &facts.engine {
            Some(engine) if engine.ready => done(format!("{} is ready", engine.name)),
            Some(engine) => (
                StepState::Todo,
                engine_in_words(&engine.name, &engine.state),
            ),
            None => todo("not started"),
        },
        StepId::Gateway => match (facts.routed_features, facts.active_keys) {
            (0, _) => todo("no feature routed to the model yet"),
            (_, 0) => todo("no key yet"),
            (1, _) => done("1 feature routed".into()),
            (n, _) => done(format!("{n} features routed")),
        },
        StepId::Gitlab => match choices.gitlab {
            Some(super::choices::GitlabOutcome::Applied) => {
                done("configured through its API".into())
            }
            Some(super::choices::GitlabOutcome::Manual) => done("values entered by hand".into()),
            Some(super::choices::GitlabOutcome::Skipped) => done("left for later".into()),
            None => todo("not configured"),
        },
        StepId::Done => match choices.finished_at_ms {
            Some(_) => done("finished".into()),
            None => todo("not finished"),
        },
    }
}

/// The Launch step's summary for an engine that is not ready: its state as a sentence.
fn engine_in_words(name: &str, state: &str) -> String {
    match state {
        "failed" => format!("{name} failed"),
        "backing_off" => format!("{name} is started again shortly"),
        "downloading" => format!("{name} waits for its checkpoint"),
        other => format!("{name} is {}", other.replace('_', " ")),
    }
}

#[cfg(test)]
mod tests {
    use super::super::choices::GitlabOutcome;
    use super::*;

    fn chosen() -> SetupChoices {
        SetupChoices {
            path: Some(SetupPath::Recommended),
            checked_at_ms: Some(1),
            features: vec!["code_completions".into(), "duo_chat".into()],
            model: Some("mistral-7b-instruct-v0.3".into()),
            ..SetupChoices::default()
        }
    }

    fn state(progress: &SetupProgress, id: StepId) -> StepState {
        progress
            .steps
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.state)
            .expect("every step")
    }

    #[test]
    fn a_fresh_machine_starts_at_welcome() {
        let progress = progress(&SetupChoices::default(), &SetupFacts::default());
        assert_eq!(progress.current, StepId::Welcome);
        assert_eq!(progress.steps.len(), StepId::ALL.len());
    }

    #[test]
    fn each_result_on_the_machine_moves_the_wizard_on() {
        let mut facts = SetupFacts {
            engine_installed: Some(false),
            engine_problem: Some("llama.cpp's server is not installed".into()),
            weights_present: Some(false),
            ..SetupFacts::default()
        };
        let at = |facts: &SetupFacts| progress(&chosen(), facts);
        assert_eq!(at(&facts).current, StepId::Engine);
        let model_id = chosen().model.expect("a model is chosen");
        assert_eq!(
            at(&facts).steps[3].summary,
            model_id,
            "the id until the catalog names it"
        );
        facts.model_name = Some("Mistral 7B Instruct".into());
        assert_eq!(at(&facts).steps[3].summary, "Mistral 7B Instruct");
        assert_eq!(
            at(&facts).steps[4].summary,
            "llama.cpp's server is not installed"
        );
        facts.engine_installed = Some(true);
        assert_eq!(at(&facts).current, StepId::Weights);
        facts.weights_present = Some(true);
        assert_eq!(at(&facts).current, StepId::Launch);
        facts.engine = Some(EngineFact {
            name: "mistral".into(),
            ready: false,
            state: "starting".into(),
        });
        assert_eq!(at(&facts).current, StepId::Launch);
        assert_eq!(at(&facts).steps[6].summary, "mistral is starting");
        for (state, words) in [
            ("failed", "mistral failed"),
            ("backing_off", "mistral is started again shortly"),
            ("downloading", "mistral waits for its checkpoint"),
        ] {
            facts.engine.as_mut().expect("engine").state = state.into();
            assert_eq!(at(&facts).steps[6].summary, words);
        }
        facts.engine.as_mut().expect("engine").ready = true;
        assert_eq!(at(&facts).current, StepId::Gateway);
        facts.routed_features = 3;
        assert_eq!(
            at(&facts).current,
            StepId::Gateway,
            "a key is still missing"
        );
        facts.active_keys = 1;
        assert_eq!(at(&facts).current, StepId::Gitlab);
        let mut choices = chosen();
        choices.gitlab = Some(GitlabOutcome::Manual);
        assert_eq!(progress(&choices, &facts).current, StepId::Done);
        choices.finished_at_ms = Some(2);
        let finished = progress(&choices, &facts);
        assert_eq!(finished.current, StepId::Done);
        assert!(finished.steps.iter().all(|s| s.state == StepState::Done));
    }

    #[test]
    fn an_engine_that_stopped_sends_the_wizard_back_to_launch() {
        let mut choices = chosen();
        choices.gitlab = Some(GitlabOutcome::Applied);
        let facts = SetupFacts {
            engine_installed: Some(true),
            weights_present: Some(true),
            engine: None,
            routed_features: 2,
            active_keys: 1,
            ..SetupFacts::default()
        };
        let progress = progress(&choices, &facts);
        assert_eq!(progress.current, StepId::Launch);
        assert_eq!(state(&progress, StepId::Gateway), StepState::Done);
    }

    #[test]
    fn planning_only_skips_everything_that_installs_or_starts() {
        let mut choices = chosen();
        choices.path = Some(SetupPath::PlanOnly);
        let progress = progress(&choices, &SetupFacts::default());
        assert_eq!(progress.current, StepId::Done);
        for id in [
            StepId::Engine,
            StepId::Weights,
            StepId::Launch,
            StepId::Gateway,
            StepId::Gitlab,
        ] {
            assert_eq!(state(&progress, id), StepState::Skipped, "{id:?}");
        }
    }
}
