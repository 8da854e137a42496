use std::collections::HashMap;
use crate::money::{Money, Currency};

/// The most items a cart holds.
pub const MAX_ITEMS: usize = 50;

/// A shopping cart.
pub struct Cart {
    items: HashMap<String, u32>,
}

pub enum Status { Open, Closed }

pub trait Priced {
    fn price(&self) -> Money;
}

impl Cart {
    /// Adds one item.
    pub fn add(&mut self, name: &str) {
        *self.items.entry(name.to_string()).or_insert(0) += 1;
    }
}

fn total(cart: &Cart) -> usize {
    cart.items.len()
}

macro_rules! square {
    ($x:expr) => { $x * $x };
}
