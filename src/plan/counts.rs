//! Replicas per (service, class), kept sparse: a service holds replicas on a
//! few hundred classes of tens of thousands, so a dense table (services ×
//! classes) was the largest structure of a plan at 100,000 servers and
//! beyond. `counts[service][class]` reads as it did; absent pairs are 0.

use std::ops::Index;

/// Replicas of each service on each class: `counts[service][class]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    rows: Vec<Row>,
}

/// One service's replicas per class: (class, count) by class, no zero count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row(Vec<(u32, u32)>);

static ZERO: u32 = 0;

impl Counts {
    /// No replica, for `services` services.
    pub fn new(services: usize) -> Self {
        Counts {
            rows: vec![Row::default(); services],
        }
    }

    /// Adds `n` replicas of `service` on class `k`.
    pub fn add(&mut self, service: usize, k: usize, n: u32) {
        self.rows[service].add(k, n);
    }
}

impl Row {
    /// Adds `n` replicas on class `k`.
    pub fn add(&mut self, k: usize, n: u32) {
        if n == 0 {
            return;
        }
        let k = u32::try_from(k).expect("fewer than 2^32 classes");
        match self.0.binary_search_by_key(&k, |&(c, _)| c) {
            Ok(i) => self.0[i].1 += n,
            Err(i) => self.0.insert(i, (k, n)),
        }
    }

    /// The replicas on every class.
    pub fn total(&self) -> u32 {
        self.0.iter().map(|&(_, n)| n).sum()
    }

    /// (class, replicas) for the classes that hold some, by class.
    pub fn iter(&self) -> impl Iterator<Item = (usize, u32)> + '_ {
        self.0.iter().map(|&(k, n)| (k as usize, n))
    }
}

impl Index<usize> for Counts {
    type Output = Row;

    fn index(&self, service: usize) -> &Row {
        &self.rows[service]
    }
}

impl Index<usize> for Row {
    type Output = u32;

    fn index(&self, k: usize) -> &u32 {
        match u32::try_from(k) {
            Ok(k) => match self.0.binary_search_by_key(&k, |&(c, _)| c) {
                Ok(i) => &self.0[i].1,
                Err(_) => &ZERO,
            },
            Err(_) => &ZERO,
        }
    }
}

/// From dense rows (a solver's answer, one service at a time): only the
/// classes with replicas are kept.
impl FromIterator<Vec<u32>> for Counts {
    fn from_iter<I: IntoIterator<Item = Vec<u32>>>(dense: I) -> Self {
        let rows = dense
            .into_iter()
            .map(|row| {
                Row(row
                    .iter()
                    .enumerate()
                    .filter(|&(_, &n)| n > 0)
                    .map(|(k, &n)| (k as u32, n))
                    .collect())
            })
            .collect();
        Counts { rows }
    }
}

impl<'c> IntoIterator for &'c Counts {
    type Item = &'c Row;
    type IntoIter = std::slice::Iter<'c, Row>;

    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_pairs_read_zero_and_dense_rows_keep_their_counts() {
        let mut counts = Counts::new(2);
        counts.add(1, 7, 2);
        counts.add(1, 3, 1);
        counts.add(1, 7, 1);
        counts.add(0, 5, 0);
        assert_eq!(counts[1][7], 3);
        assert_eq!(counts[1][3], 1);
        assert_eq!(counts[1][4], 0);
        assert_eq!(counts[0][5], 0);
        assert_eq!(counts[1].total(), 4);
        assert_eq!(counts[1].iter().collect::<Vec<_>>(), [(3, 1), (7, 3)]);
        let dense: Counts = [vec![0, 0, 0, 0, 0, 0], vec![0, 0, 0, 1, 0, 0, 0, 3]]
            .into_iter()
            .collect();
        assert_eq!(dense, counts);
    }
}
