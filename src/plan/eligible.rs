//! Which classes each service may use, shared by the services that require
//! the same labels: a list per service (services × classes) was, with the
//! class counts, the largest structure of a plan at region scale, though a
//! fleet has only a handful of distinct `requires`.

use std::collections::BTreeMap;
use std::ops::Index;

use super::classes::Class;
use crate::inventory::{Inventory, Services};

/// `eligible[service]`: the classes, ascending, whose servers have every
/// label the service requires.
#[derive(Debug, Clone)]
pub struct Eligible {
    lists: Vec<Vec<usize>>,
    /// Per service: its list.
    list_of: Vec<u32>,
}

impl Eligible {
    pub fn new(inventory: &Inventory, services: &Services, classes: &[Class]) -> Self {
        let mut index: BTreeMap<Vec<&str>, u32> = BTreeMap::new();
        let mut lists = Vec::new();
        let list_of = services
            .services
            .iter()
            .map(|service| {
                let mut key: Vec<&str> = service.requires.iter().map(String::as_str).collect();
                key.sort_unstable();
                key.dedup();
                *index.entry(key).or_insert_with(|| {
                    lists.push(
                        (0..classes.len())
                            .filter(|&k| {
                                inventory
                                    .server(classes[k].servers[0])
                                    .has_labels(&service.requires)
                            })
                            .collect(),
                    );
                    (lists.len() - 1) as u32
                })
            })
            .collect();
        Eligible { lists, list_of }
    }

    /// Each service's list, in service order.
    pub fn iter(&self) -> impl Iterator<Item = &Vec<usize>> + '_ {
        self.list_of.iter().map(|&l| &self.lists[l as usize])
    }
}

impl Index<usize> for Eligible {
    type Output = Vec<usize>;

    fn index(&self, service: usize) -> &Vec<usize> {
        &self.lists[self.list_of[service] as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::model::impacts;
    use crate::plan::model::Model;
    use crate::scenarios::{ScenarioSet, DEFAULT_ENUMERATION_LIMIT};

    #[test]
    fn each_service_gets_the_classes_with_its_labels_and_one_list_per_requires() {
        let dir = std::path::Path::new("inventories/goodbarber");
        let inventory = Inventory::load(dir).expect("the example loads");
        let services = Services::load(&dir.join("services.toml"), &inventory).expect("loads");
        let set = ScenarioSet::expand(&inventory, &services.all_words(), DEFAULT_ENUMERATION_LIMIT);
        let model = Model::new(
            &inventory,
            &services,
            &set,
            &impacts(&inventory, &set),
            None,
            &[],
        );
        let eligible = &model.eligible;
        for (id, service) in services.ids().zip(&services.services) {
            let expected: Vec<usize> = (0..model.classes.len())
                .filter(|&k| {
                    inventory
                        .server(model.classes[k].servers[0])
                        .has_labels(&service.requires)
                })
                .collect();
            assert_eq!(eligible[id.index()], expected, "{}", service.name);
        }
        let mut requires: Vec<Vec<&String>> = services
            .services
            .iter()
            .map(|s| {
                let mut r: Vec<&String> = s.requires.iter().collect();
                r.sort();
                r.dedup();
                r
            })
            .collect();
        requires.sort();
        requires.dedup();
        assert_eq!(eligible.lists.len(), requires.len());
        assert!(eligible.lists.len() < services.services.len());
    }
}
