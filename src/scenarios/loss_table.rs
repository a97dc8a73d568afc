//! The dynamic program behind the worst replica loss: the least capacity that
//! loses exactly v, group by group.

/// The option each group takes for each loss, in the dynamic program.
pub(super) enum Choices {
    Small(Vec<u8>),
    Large(Vec<u32>),
}

impl Choices {
    pub(super) fn new(options: usize, len: usize) -> Self {
        if options <= usize::from(u8::MAX) + 1 {
            Choices::Small(vec![0; len])
        } else {
            Choices::Large(vec![0; len])
        }
    }

    pub(super) fn set(&mut self, at: usize, option: usize) {
        match self {
            Choices::Small(v) => v[at] = option as u8,
            Choices::Large(v) => v[at] = option as u32,
        }
    }

    pub(super) fn get(&self, at: usize) -> usize {
        match self {
            Choices::Small(v) => usize::from(v[at]),
            Choices::Large(v) => v[at] as usize,
        }
    }
}
