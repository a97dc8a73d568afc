//! A concrete placement being built or repaired, with everything a move needs
//! to know kept up to date: free cpu and memory per server, the load of every
//! power row of the model, and per service the replicas each failure set takes.
//!
//! Every state satisfies the hard limits (cpu, memory, max_per_server,
//! max_replicas, labels, every power row): moves that would break one are
//! refused. Only replicas short of min_replicas in some scenario remain to fix.

use std::collections::BTreeMap;

use super::model::Model;
use crate::inventory::{Placement, Replica, ServerId, ServiceId};

/// Loads within this many watts of a limit count as within it, as in `verify`.
const LOAD_TOLERANCE_W: f64 = 1e-6;

#[derive(Clone)]
pub struct State<'m, 'a> {
    pub model: &'m Model<'a>,
    free_cpu: Vec<f64>,
    free_mem: Vec<f64>,
    /// Per class: the most free cpu and the most free memory on any of its
    /// servers (not always the same server), so that a full class is passed
    /// over without looking at its servers.
    class_room: Vec<(f64, f64)>,
    /// Per rack: reserved and total cpu.
    rack_cpu: Vec<(f64, f64)>,
    row_load: Vec<f64>,
    /// Per service: replicas per server.
    on: Vec<BTreeMap<ServerId, u32>>,
    total: Vec<u32>,
    /// Per service: replicas in each of its failure sets, the largest such
    /// number, and how many sets reach it. Only the sets holding replicas
    /// are kept, as (set, replicas) by set: services × failure sets (racks)
    /// in full was the largest part of a state at region scale.
    loss: Vec<Vec<(u32, u32)>>,
    max_loss: Vec<u32>,
    at_max: Vec<u32>,
    /// While a [`Mark`] is open: every add (true) and remove (false) since
    /// the oldest one, so that trying a change costs what the change costs,
    /// not a copy of the whole placement.
    journal: Vec<(ServiceId, ServerId, bool)>,
    open_marks: u32,
}

/// A point to roll a [`State`] back to; give it back with
/// [`State::rollback`] or [`State::keep`].
#[must_use]
pub struct Mark(usize);

impl<'m, 'a> State<'m, 'a> {
    pub fn new(model: &'m Model<'a>) -> Self {
        let inventory = model.inventory;
        let mut rack_cpu = vec![(0.0, 0.0); inventory.racks.len()];
        for class in &model.classes {
            rack_cpu[class.rack.index()].1 += class.cpu * class.size();
        }
        let row_load = model
            .power
            .iter()
            .map(|row| {
                row.constant_w
                    + row
                        .coefs
                        .iter()
                        .map(|&(k, c)| c * model.classes[k].size() * model.classes[k].idle_w)
                        .sum::<f64>()
            })
            .collect();
        let sets: Vec<u32> = model
            .services
            .ids()
            .map(|id| model.survival(id).sets.len() as u32)
            .collect();
        let free_cpu: Vec<f64> = inventory.servers.iter().map(|s| s.cpu).collect();
        let free_mem: Vec<f64> = inventory.servers.iter().map(|s| s.mem_gb).collect();
        let class_room = model
            .classes
            .iter()
            .map(|class| room_of(&class.servers, &free_cpu, &free_mem))
            .collect();
        State {
            model,
            free_cpu,
            free_mem,
            class_room,
            rack_cpu,
            row_load,
            on: vec![BTreeMap::new(); model.services.services.len()],
            total: vec![0; model.services.services.len()],
            loss: vec![Vec::new(); sets.len()],
            max_loss: vec![0; sets.len()],
            at_max: sets,
            journal: Vec::new(),
            open_marks: 0,
        }
    }

    /// The state of an existing placement, keeping each replica that fits
    /// (in file order).
    pub fn from_placement(model: &'m Model<'a>, placement: &Placement) -> Self {
        let mut state = State::new(model);
        for r in &placement.replicas {
            if state.can_add(r.service, r.server) {
                state.add(r.service, r.server);
            }
        }
        state
    }

    pub fn total(&self, id: ServiceId) -> u32 {
        self.total[id.index()]
    }

    /// Replicas up in the service's worst failure set.
    pub fn up(&self, id: ServiceId) -> u32 {
        self.total[id.index()] - self.max_loss[id.index()]
    }

    pub fn deficit(&self, id: ServiceId) -> u32 {
        let min = self.model.services.service(id).min_replicas;
        min.saturating_sub(self.up(id))
    }

    pub fn replicas_on(&self, id: ServiceId) -> impl Iterator<Item = (ServerId, u32)> + '_ {
        self.on[id.index()].iter().map(|(s, n)| (*s, *n))
    }

    /// Services with a replica on `server`, in id order.
    pub fn services_on(&self, server: ServerId) -> Vec<ServiceId> {
        self.model
            .services
            .ids()
            .filter(|id| self.on[id.index()].contains_key(&server))
            .collect()
    }

    pub fn loss_in(&self, id: ServiceId, set: usize) -> u32 {
        let loss = &self.loss[id.index()];
        match loss.binary_search_by_key(&(set as u32), |&(j, _)| j) {
            Ok(at) => loss[at].1,
            Err(_) => 0,
        }
    }

    /// Whether one more replica of `id` on class `k` leaves every failure set
    /// holding at most `budget` of its replicas (replicas − min_replicas:
    /// then the service survives each set by construction).
    pub fn within_budget(&self, id: ServiceId, k: usize, budget: u32) -> bool {
        self.model.survival(id).sets_of_class[k]
            .iter()
            .all(|&j| self.loss_in(id, j as usize) < budget)
    }

    /// The most free cpu on a server of class `k`.
    pub fn roomiest(&self, k: usize) -> f64 {
        self.class_room[k].0
    }

    /// Whether some server of class `k` might take a replica of `id`: a
    /// necessary condition (cpu and memory), cheap to ask.
    pub fn class_may_fit(&self, id: ServiceId, k: usize) -> bool {
        let service = self.model.services.service(id);
        let (cpu, mem) = self.class_room[k];
        cpu + 1e-9 >= service.cpu && mem + 1e-9 >= service.mem_gb
    }

    /// The rack's cpu utilisation after adding `cpu` to it.
    pub fn rack_utilisation(&self, k: usize, cpu: f64) -> f64 {
        let (used, capacity) = self.rack_cpu[self.model.classes[k].rack.index()];
        if capacity > 0.0 {
            (used + cpu) / capacity
        } else {
            f64::INFINITY
        }
    }

    /// Whether the server has room for one more replica (cpu, memory,
    /// max_per_server), ignoring power and the service's totals.
    pub fn fits(&self, id: ServiceId, server: ServerId) -> bool {
        let service = self.model.services.service(id);
        self.on[id.index()].get(&server).copied().unwrap_or(0) < service.max_per_server
            && self.free_cpu[server.index()] + 1e-9 >= service.cpu
            && self.free_mem[server.index()] + 1e-9 >= service.mem_gb
    }

    /// The first power row that `cpu` more cores on class `k` would overload.
    pub fn power_block(&self, k: usize, cpu: f64) -> Option<usize> {
        let watts = self.model.classes[k].slope_w() * cpu;
        self.model.class_rows[k].iter().find_map(|&(r, coef)| {
            (self.row_load[r] + coef * watts > self.model.power[r].limit_w + LOAD_TOLERANCE_W)
                .then_some(r)
        })
    }

    /// Whether one more replica of `id` may go on `server` without breaking a
    /// hard limit.
    pub fn can_add(&self, id: ServiceId, server: ServerId) -> bool {
        let Some(k) = self.model.class_of[server.index()] else {
            return false;
        };
        let service = self.model.services.service(id);
        self.model.eligible[id.index()].binary_search(&k).is_ok()
            && service
                .max_replicas
                .is_none_or(|max| self.total[id.index()] < max)
            && self.fits(id, server)
            && self.power_block(k, service.cpu).is_none()
    }

    /// Marks the current placement, to come back to. Marks nest: roll back
    /// or keep the newest first.
    pub fn mark(&mut self) -> Mark {
        self.open_marks += 1;
        Mark(self.journal.len())
    }

    /// Undoes every add and remove since `mark`, newest first. The counts
    /// come back exactly; loads and free room up to float rounding.
    pub fn rollback(&mut self, mark: Mark) {
        while self.journal.len() > mark.0 {
            let (id, server, added) = self.journal.pop().expect("longer than the mark");
            if added {
                self.unjournaled_remove(id, server);
            } else {
                self.unjournaled_add(id, server);
            }
        }
        self.close(mark);
    }

    /// Keeps every change since `mark`.
    pub fn keep(&mut self, mark: Mark) {
        self.close(mark);
    }

    fn close(&mut self, mark: Mark) {
        debug_assert!(self.open_marks > 0 && self.journal.len() >= mark.0);
        self.open_marks -= 1;
        if self.open_marks == 0 {
            self.journal.clear();
        }
    }

    pub fn add(&mut self, id: ServiceId, server: ServerId) {
        if self.open_marks > 0 {
            self.journal.push((id, server, true));
        }
        self.unjournaled_add(id, server);
    }

    pub fn remove(&mut self, id: ServiceId, server: ServerId) {
        if !self.on[id.index()].contains_key(&server) {
            return;
        }
        if self.open_marks > 0 {
            self.journal.push((id, server, false));
        }
        self.unjournaled_remove(id, server);
    }

    fn unjournaled_add(&mut self, id: ServiceId, server: ServerId) {
        self.change(id, server, 1.0);
        let i = id.index();
        *self.on[i].entry(server).or_default() += 1;
        self.total[i] += 1;
        let k = self.class(server);
        for &j in &self.model.survival(id).sets_of_class[k] {
            let sets = &mut self.loss[i];
            let at = match sets.binary_search_by_key(&j, |&(s, _)| s) {
                Ok(at) => at,
                Err(at) => {
                    sets.insert(at, (j, 0));
                    at
                }
            };
            let loss = &mut sets[at].1;
            *loss += 1;
            if *loss > self.max_loss[i] {
                self.max_loss[i] = *loss;
                self.at_max[i] = 1;
            } else if *loss == self.max_loss[i] {
                self.at_max[i] += 1;
            }
        }
    }

    fn unjournaled_remove(&mut self, id: ServiceId, server: ServerId) {
        let i = id.index();
        let Some(n) = self.on[i].get_mut(&server) else {
            return;
        };
        *n -= 1;
        if *n == 0 {
            self.on[i].remove(&server);
        }
        self.change(id, server, -1.0);
        self.total[i] -= 1;
        let k = self.class(server);
        for &j in &self.model.survival(id).sets_of_class[k] {
            let sets = &mut self.loss[i];
            let at = sets
                .binary_search_by_key(&j, |&(s, _)| s)
                .expect("a replica counts in every set of its class");
            let loss = &mut sets[at].1;
            if *loss == self.max_loss[i] {
                self.at_max[i] -= 1;
            }
            *loss -= 1;
            if *loss == 0 {
                sets.remove(at);
            }
        }
        // No set left at the old maximum: the maximum went down by one (a
        // service with no failure sets stays at 0).
        if self.at_max[i] == 0 && self.max_loss[i] > 0 {
            self.max_loss[i] -= 1;
            let max = self.max_loss[i];
            self.at_max[i] = if max == 0 {
                // Every set is at 0, and only sets holding replicas are kept.
                self.model.survival(id).sets.len() as u32
            } else {
                self.loss[i].iter().filter(|&&(_, l)| l == max).count() as u32
            };
        }
    }

    fn class(&self, server: ServerId) -> usize {
        self.model.class_of[server.index()].expect("replicas sit on classed servers")
    }

    fn change(&mut self, id: ServiceId, server: ServerId, sign: f64) {
        let service = self.model.services.service(id);
        let k = self.class(server);
        self.free_cpu[server.index()] -= sign * service.cpu;
        self.free_mem[server.index()] -= sign * service.mem_gb;
        self.class_room[k] = room_of(
            &self.model.classes[k].servers,
            &self.free_cpu,
            &self.free_mem,
        );
        self.rack_cpu[self.model.classes[k].rack.index()].0 += sign * service.cpu;
        let watts = self.model.classes[k].slope_w() * service.cpu;
        for &(r, coef) in &self.model.class_rows[k] {
            self.row_load[r] += sign * coef * watts;
        }
    }

    /// Replicas up in the worst failure set if one replica moved from class
    /// `from` to class `to` (None: added, or removed when `to` is None).
    pub fn up_after(&self, id: ServiceId, from: Option<usize>, to: Option<usize>) -> u32 {
        let i = id.index();
        let survival = self.model.survival(id);
        let (max, at_max) = (self.max_loss[i], self.at_max[i]);
        let contains = |k: Option<usize>, j: u32| {
            k.is_some_and(|k| survival.sets_of_class[k].binary_search(&j).is_ok())
        };
        let mut lowered_at_max = 0;
        if let Some(a) = from {
            for &j in &survival.sets_of_class[a] {
                if !contains(to, j) && self.loss_in(id, j as usize) == max {
                    lowered_at_max += 1;
                }
            }
        }
        let mut new_max = if max > 0 && lowered_at_max == at_max {
            max - 1
        } else {
            max
        };
        if let Some(b) = to {
            for &j in &survival.sets_of_class[b] {
                if !contains(from, j) {
                    new_max = new_max.max(self.loss_in(id, j as usize) + 1);
                }
            }
        }
        let total = self.total[i] + u32::from(to.is_some()) - u32::from(from.is_some());
        total.saturating_sub(new_max)
    }

    /// The server of class `k` a replica of `id` would go to: the one with the
    /// most free cpu (spread) or the least that still fits (pack).
    pub fn server_in(&self, id: ServiceId, k: usize, pack: bool) -> Option<ServerId> {
        if !self.class_may_fit(id, k) {
            return None;
        }
        let candidates = self.model.classes[k]
            .servers
            .iter()
            .copied()
            .filter(|s| self.fits(id, *s));
        let free = |s: &ServerId| self.free_cpu[s.index()];
        if pack {
            candidates.min_by(|a, b| free(a).total_cmp(&free(b)).then(a.cmp(b)))
        } else {
            candidates.max_by(|a, b| free(a).total_cmp(&free(b)).then(b.cmp(a)))
        }
    }

    pub fn placement(&self) -> Placement {
        let mut replicas = Vec::new();
        for (i, on) in self.on.iter().enumerate() {
            for (&server, &n) in on {
                for _ in 0..n {
                    replicas.push(Replica {
                        service: ServiceId(i as u32),
                        server,
                        line: 0,
                    });
                }
            }
        }
        Placement {
            file: None,
            replicas,
        }
        .sorted()
    }
}

/// The most free cpu and the most free memory over `servers`.
fn room_of(servers: &[ServerId], free_cpu: &[f64], free_mem: &[f64]) -> (f64, f64) {
    servers.iter().fold((0.0, 0.0), |(cpu, mem), s| {
        (cpu.max(free_cpu[s.index()]), mem.max(free_mem[s.index()]))
    })
}

#[cfg(test)]
mod tests {
    //! Rolling back to a mark gives the state the mark was taken on, as a
    //! copy of it would: the search tries changes on marks, not copies.

    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    use super::*;
    use crate::plan::model::{impacts, tests::random_inventory};
    use crate::scenarios::ScenarioSet;

    /// Random adds and removes.
    fn wander(state: &mut State, rng: &mut ChaCha8Rng, steps: usize) {
        let model = state.model;
        let servers = model.inventory.servers.len() as u32;
        for _ in 0..steps {
            let id = ServiceId(rng.gen_range(0..model.services.services.len() as u32));
            let server = ServerId(rng.gen_range(0..servers));
            if rng.gen_bool(0.6) {
                if state.can_add(id, server) {
                    state.add(id, server);
                }
            } else {
                state.remove(id, server);
            }
        }
    }

    #[test]
    fn a_rollback_restores_what_a_copy_kept() {
        for seed in 0..300 {
            let (_dir, inventory, services) = random_inventory(seed);
            let set = ScenarioSet::expand(&inventory, &services.all_words(), 4096);
            let impacts = impacts(&inventory, &set);
            let model = Model::new(&inventory, &services, &set, &impacts, None, &[]);
            let rng = &mut ChaCha8Rng::seed_from_u64(seed);
            let mut state = State::new(&model);
            wander(&mut state, rng, 12);
            let copy = state.clone();
            let outer = state.mark();
            wander(&mut state, rng, 8);
            let inner = state.mark();
            wander(&mut state, rng, 8);
            if rng.gen_bool(0.5) {
                state.rollback(inner);
            } else {
                state.keep(inner);
            }
            wander(&mut state, rng, 8);
            state.rollback(outer);
            assert_eq!(state.on, copy.on, "seed {seed}");
            assert_eq!(state.loss, copy.loss, "seed {seed}");
            assert_eq!(state.max_loss, copy.max_loss, "seed {seed}");
            assert_eq!(state.at_max, copy.at_max, "seed {seed}");
            for k in 0..model.classes.len() {
                let (cpu, mem) = state.class_room[k];
                let (was_cpu, was_mem) = copy.class_room[k];
                assert!((cpu - was_cpu).abs() < 1e-9 && (mem - was_mem).abs() < 1e-9);
                assert_eq!(
                    state.class_room[k],
                    room_of(&model.classes[k].servers, &state.free_cpu, &state.free_mem),
                    "seed {seed}: the class maxima follow the servers"
                );
            }
            assert!(state.journal.is_empty() && state.open_marks == 0);
        }
    }
}
