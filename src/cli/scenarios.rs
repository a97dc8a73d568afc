//! `faultplan scenarios`: every failure scenario of the survive words, with
//! its blast radius, largest first.

use std::path::Path;

use faultplan::inventory::{InputError, Inventory, Location, SurviveWord};
use faultplan::report;
use faultplan::scenarios::{ScenarioSet, DEFAULT_ENUMERATION_LIMIT};
use faultplan::topology::Topology;

use super::args::{DataFormat, ScenariosArgs};
use super::exit::Failure;
use super::io::{load_services, print, print_human, width};

pub(super) fn run(args: ScenariosArgs) -> Result<(), Failure> {
    let inventory = Inventory::load(&args.inventory)?;
    let words = if args.survive.is_empty() {
        load_services(&inventory, &args.common)?.all_words()
    } else {
        parse_words(&args.survive, &inventory)?
    };
    let topology = Topology::new(&inventory);
    let set = ScenarioSet::expand(&inventory, &words, DEFAULT_ENUMERATION_LIMIT);
    let radii = set.blast_radii(&topology);
    let warnings = set.vacuous_notes(&inventory);
    let width = width(&args.layout);
    match args.format {
        DataFormat::Human => print_human(&report::scenarios_human(&radii, &warnings, width), width),
        DataFormat::Json => print(&report::scenarios_json(&radii, &warnings)),
    }
}

/// The --survive words, every bad one reported at once.
fn parse_words(words: &[String], inventory: &Inventory) -> Result<Vec<SurviveWord>, Failure> {
    let at = Location::file(Path::new("--survive"));
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for word in words {
        match SurviveWord::parse_in(word, inventory) {
            Ok(w) => parsed.push(w),
            Err(e) => errors.push(InputError::new(at.clone(), e.to_string())),
        }
    }
    if errors.is_empty() {
        Ok(parsed)
    } else {
        Err(errors.into())
    }
}
