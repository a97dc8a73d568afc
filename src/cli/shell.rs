//! `faultplan completions` and `faultplan man`: the shell completion script
//! and the man pages, generated from the command line's own definitions.

use std::path::Path;

use clap::CommandFactory;
use faultplan::inventory::{InputError, Location};

use super::args::Cli;
use super::exit::Failure;
use super::io::print;

pub(super) fn completions(shell: clap_complete::Shell) -> Result<(), Failure> {
    let mut text = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "faultplan", &mut text);
    print(&String::from_utf8_lossy(&text))
}

/// faultplan's own page, or the page of one command.
pub(super) fn man(command: Option<&str>) -> Result<(), Failure> {
    let root = Cli::command();
    let page = match command {
        None => root,
        Some(name) => match root.find_subcommand(name) {
            Some(sub) => sub.clone().display_name(format!("faultplan-{name}")),
            None => {
                let names: Vec<&str> = root.get_subcommands().map(|c| c.get_name()).collect();
                return Err(InputError::new(
                    Location::file(Path::new("man")),
                    format!(
                        "unknown command \"{name}\": expected one of {}",
                        names.join(", ")
                    ),
                )
                .into());
            }
        },
    };
    let mut text = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut text)
        .expect("rendering to memory cannot fail");
    print(&String::from_utf8_lossy(&text))
}
