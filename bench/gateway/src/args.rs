//! A tiny `--name value` argument reader (the tools take a handful of options).

use std::fmt::Debug;
use std::str::FromStr;

/// The command line, consumed option by option.
pub struct Args {
    rest: Vec<String>,
}

impl Args {
    /// The process's arguments, without the program name.
    pub fn from_env() -> Self {
        Self {
            rest: std::env::args().skip(1).collect(),
        }
    }

    /// The first argument if it is not an option (a subcommand), taken out.
    pub fn command(&mut self) -> Option<String> {
        if self.rest.first().is_some_and(|a| !a.starts_with("--")) {
            Some(self.rest.remove(0))
        } else {
            None
        }
    }

    /// The value after `name`, parsed; `None` when the option is absent. Exits on a bad value.
    pub fn value<T: FromStr>(&mut self, name: &str) -> Option<T>
    where
        T::Err: Debug,
    {
        let at = self.rest.iter().position(|a| a == name)?;
        if at + 1 >= self.rest.len() {
            fail(&format!("{name} needs a value"));
        }
        let raw = self.rest.remove(at + 1);
        self.rest.remove(at);
        Some(
            raw.parse()
                .unwrap_or_else(|e| fail(&format!("{name} {raw}: {e:?}"))),
        )
    }

    /// Like [`Args::value`], but the option must be there.
    pub fn required<T: FromStr>(&mut self, name: &str) -> T
    where
        T::Err: Debug,
    {
        self.value(name)
            .unwrap_or_else(|| fail(&format!("{name} is required")))
    }

    /// Exits if anything was left unread (a misspelt option).
    pub fn finish(self) {
        if !self.rest.is_empty() {
            fail(&format!("unknown arguments: {}", self.rest.join(" ")));
        }
    }
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(2)
}
