//! The song's random stream and the draws made from it. Determinism: one `rand::rngs::StdRng`
//! (ChaCha12 in rand 0.9) per song, seeded from the class name mixed with the caller's seed and
//! consumed in a fixed order, so the same (class, seed, seconds) always gives the same bytes with
//! this rand 0.9. rand does not promise StdRng's algorithm across versions;
//! `rand_chacha::ChaCha12Rng` (the same generator today) is the swap if bytes must survive
//! upgrades. Every other file draws only through `&mut StdRng` and these helpers.

use rand::Rng;
use rand::rngs::StdRng;

pub(super) fn chance(rng: &mut StdRng, p: f32) -> bool {
    rng.random::<f32>() < p
}

/// `yes` with probability `p`, else `no`.
pub(super) fn coin<T>(rng: &mut StdRng, p: f32, yes: T, no: T) -> T {
    if chance(rng, p) { yes } else { no }
}

pub(super) fn range(rng: &mut StdRng, (lo, hi): (f32, f32)) -> f32 {
    lo + (hi - lo) * rng.random::<f32>()
}

pub(super) fn nudge(rng: &mut StdRng, tick: u32, amount: i32) -> u32 {
    if amount <= 0 {
        return tick;
    }
    (i64::from(tick) + i64::from(rng.random_range(-amount..=amount))).max(0) as u32
}

/// A weighted draw; `None` only for an empty pool.
pub(super) fn pick<T: Copy>(rng: &mut StdRng, pool: &[(T, u32)]) -> Option<T> {
    let total: u32 = pool.iter().map(|(_, w)| *w).sum();
    if total == 0 {
        return pool.first().map(|(v, _)| *v);
    }
    let mut r = rng.random_range(0..total);
    for &(v, w) in pool {
        if r < w {
            return Some(v);
        }
        r -= w;
    }
    pool.last().map(|(v, _)| *v)
}

/// FNV-1a of the class name folded into the seed through splitmix64, so seed 1 of one class
/// starts an unrelated random stream from seed 1 of another.
pub(super) fn class_seed(class: &str, seed: u64) -> u64 {
    pub(super) fn splitmix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    let name = class.bytes().fold(0xCBF2_9CE4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
    });
    splitmix(name ^ splitmix(seed))
}
