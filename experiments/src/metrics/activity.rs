//! Which hidden units are stably active, and how much the activation pattern moves between logs.

use std::collections::VecDeque;

use kernels::{Element, MatRef};
use models::Attachments;

/// Tracks which hidden units are active (pre-activation > 0) on every training example at every
/// logged step of a sliding window; also counts activation-pattern changes between logs.
///
/// "Stably active" is the hypothesis of Theorem 1: on the block of such neurons a ReLU layer
/// conserves W_{k+1}ᵀW_{k+1} − W_kW_kᵀ. Only logged steps are seen, so the window is the tolerance:
/// a unit must be on for every example at each of the last `window` observations. Pass
/// `usize::MAX` to demand it at every observation since the start, the setting that matches
/// drifts measured from step 0.
#[derive(Clone, Debug)]
pub struct ActivityTracker {
    window: usize,
    /// Per layer, the last observed pattern: n×h bits in row-major order, 64 to a word, set
    /// where the unit was active (None for a layer not tracked).
    last: Vec<Option<Vec<u64>>>,
    /// Per layer, the [n, h] shape of the observed activations.
    shapes: Vec<Option<(usize, usize)>>,
    /// The most recent observations (newest last); each holds, per tracked layer, which units
    /// were active on every example.
    history: VecDeque<Vec<Option<Vec<bool>>>>,
}

/// What changed in the activation pattern since the previous observation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActivityChange {
    /// Per layer, how many (example, unit) pairs switched on or off (0 at the first
    /// observation; None for a layer not tracked).
    pub pattern_changes: Vec<Option<usize>>,
    /// Per layer, how many (example, unit) pairs there are, to turn the counts into fractions.
    pub entries: Vec<usize>,
}

impl ActivityTracker {
    /// A tracker judging stability over the last `window` observations (at least 1).
    pub fn new(window: usize) -> Self {
        Self {
            window: window.max(1),
            last: Vec::new(),
            shapes: Vec::new(),
            history: VecDeque::new(),
        }
    }

    /// Records one logged step. `layers[l]` holds layer l's activations, [n, h] (one row per
    /// training example, one column per unit, positive where the unit is active), or None for a
    /// layer not tracked (no nonlinearity follows it). Panics if the shapes differ from the first
    /// observation's (a programmer error: the network and data are fixed during a run).
    pub fn observe<T: Element>(&mut self, layers: &[Option<MatRef<'_, T>>]) -> ActivityChange {
        let shapes: Vec<Option<(usize, usize)>> = layers
            .iter()
            .map(|p| p.map(|p| (p.rows(), p.cols())))
            .collect();
        let first = self.last.is_empty() && self.history.is_empty();
        assert!(
            first || shapes == self.shapes,
            "ActivityTracker::observe: activation shapes {shapes:?} differ from the first \
             observation's {:?}",
            self.shapes
        );
        let mut patterns = Vec::with_capacity(layers.len());
        let mut pattern_changes = Vec::with_capacity(layers.len());
        let mut always_on = Vec::with_capacity(layers.len());
        for (l, layer) in layers.iter().enumerate() {
            let then = self.last.get(l).and_then(Option::as_deref);
            let (pattern, changes, always) = match layer.map(|p| scan(p, then)) {
                Some((pattern, changes, always)) => (Some(pattern), Some(changes), Some(always)),
                None => (None, None, None),
            };
            patterns.push(pattern);
            pattern_changes.push(changes);
            always_on.push(always);
        }
        if self.history.len() == self.window {
            self.history.pop_front();
        }
        self.history.push_back(always_on);
        let entries = shapes.iter().map(|s| s.map_or(0, |(n, h)| n * h)).collect();
        self.shapes = shapes;
        self.last = patterns;
        ActivityChange {
            pattern_changes,
            entries,
        }
    }

    /// The units of hidden layer `layer` active on every example at every observation of the
    /// window; None before the first observation or for a layer that is not tracked.
    pub fn stably_active(&self, layer: usize) -> Option<Vec<bool>> {
        let (_, h) = (*self.shapes.get(layer)?)?;
        let mut stable = vec![true; h];
        for observation in &self.history {
            let on = observation[layer].as_ref()?;
            stable.iter_mut().zip(on).for_each(|(s, &on)| *s &= on);
        }
        Some(stable)
    }

    /// How many observations the window currently holds.
    pub fn observations(&self) -> usize {
        self.history.len()
    }

    /// Adds the tracker's observations to a training checkpoint's attachments.
    pub fn attach(&self, extra: &mut Attachments) {
        let shapes = self
            .shapes
            .iter()
            .flat_map(|s| match s {
                Some((n, h)) => [1, *n as u64, *h as u64],
                None => [0, 0, 0],
            })
            .collect();
        extra.counts.insert("activity.shapes".into(), shapes);
        for (l, words) in self.last.iter().enumerate() {
            if let Some(words) = words {
                extra
                    .counts
                    .insert(format!("activity.last.{l}"), words.clone());
            }
        }
        let history = self
            .history
            .iter()
            .flat_map(|observation| observation.iter().flatten().flatten())
            .map(|&on| u64::from(on))
            .collect();
        extra.counts.insert("activity.history".into(), history);
        extra.counts.insert(
            "activity.observations".into(),
            vec![self.history.len() as u64],
        );
    }

    /// Takes the observations that [`ActivityTracker::attach`] stored, keeping this tracker's
    /// window; on error the tracker is left as it was.
    pub fn continue_from(&mut self, extra: &Attachments) -> Result<(), String> {
        let get = |key: &str| {
            extra
                .counts
                .get(key)
                .ok_or_else(|| format!("the activity tracker has no `{key}`"))
        };
        let bad = || "the activity tracker's state is inconsistent".to_string();
        let shapes: Vec<Option<(usize, usize)>> = get("activity.shapes")?
            .chunks(3)
            .map(|c| match c {
                [1, n, h] => Some((*n as usize, *h as usize)),
                _ => None,
            })
            .collect();
        let last = (0..shapes.len())
            .map(|l| extra.counts.get(&format!("activity.last.{l}")).cloned())
            .collect::<Vec<_>>();
        let words_match = shapes.iter().zip(&last).all(|(s, w)| match (s, w) {
            (Some((n, h)), Some(w)) => w.len() == n * h.div_ceil(64),
            (None, None) => true,
            _ => false,
        });
        let observations = get("activity.observations")?.first().copied().unwrap_or(0) as usize;
        let history = get("activity.history")?;
        let widths: Vec<Option<usize>> = shapes.iter().map(|s| s.map(|(_, h)| h)).collect();
        let per_observation: usize = widths.iter().flatten().sum();
        if !words_match || history.len() != observations * per_observation {
            return Err(bad());
        }
        let mut bits = history.iter().map(|&b| b == 1);
        let history = (0..observations)
            .map(|_| {
                widths
                    .iter()
                    .map(|w| w.map(|h| bits.by_ref().take(h).collect()))
                    .collect()
            })
            .collect();
        self.shapes = shapes;
        self.last = last;
        self.history = history;
        Ok(())
    }
}

/// One layer's pattern (bits set where active, each row in its own whole words), how many
/// entries differ from `then`, and which units are active on every example: one pass over the
/// activations, row by row; the comparison is a popcount of the words' difference and the
/// always-active units an AND of the rows' words.
fn scan<T: Element>(p: MatRef<'_, T>, then: Option<&[u64]>) -> (Vec<u64>, usize, Vec<bool>) {
    let (n, h) = (p.rows(), p.cols());
    let per_row = h.div_ceil(64);
    let mut pattern = vec![0u64; n * per_row];
    let mut always = vec![u64::MAX; per_row];
    let mut row = vec![T::ZERO; h];
    for (i, words) in pattern.chunks_exact_mut(per_row.max(1)).take(n).enumerate() {
        // A contiguous row is read in place (the compares then vectorize); others are gathered.
        let values: &[T] = if p.col_stride() == 1 {
            &p.data()[i * p.row_stride()..i * p.row_stride() + h]
        } else {
            row.iter_mut()
                .enumerate()
                .for_each(|(j, v)| *v = p.get(i, j));
            &row
        };
        for ((word, all), units) in words.iter_mut().zip(&mut always).zip(values.chunks(64)) {
            *word = units
                .iter()
                .enumerate()
                .fold(0, |acc, (b, &v)| acc | (u64::from(v > T::ZERO) << b));
            *all &= *word;
        }
    }
    let changes = then.map_or(0, |then| {
        pattern
            .iter()
            .zip(then)
            .map(|(a, b)| (a ^ b).count_ones() as usize)
            .sum()
    });
    let always = (0..h)
        .map(|j| n == 0 || always[j / 64] >> (j % 64) & 1 == 1)
        .collect();
    (pattern, changes, always)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row-major [n, h] view.
    fn view(data: &[f64], n: usize) -> Option<MatRef<'_, f64>> {
        Some(MatRef::from_row_major(data, n, data.len() / n).unwrap())
    }

    #[test]
    fn counts_pattern_changes_and_tracks_the_window() {
        let mut tracker = ActivityTracker::new(2);
        assert_eq!(tracker.stably_active(0), None);
        // 2 examples × 3 units. Unit 0 always on; unit 1 on for one example only; unit 2 on.
        let a = [1.0, -1.0, 2.0, 0.5, 3.0, 1.0];
        let change = tracker.observe(&[view(&a, 2)]);
        assert_eq!(change.pattern_changes, vec![Some(0)]);
        assert_eq!(change.entries, vec![6]);
        assert_eq!(tracker.stably_active(0), Some(vec![true, false, true]));
        // Unit 2 switches off on example 0 (exactly 0 is inactive); unit 1 switches on there.
        let b = [1.0, 1.0, 0.0, 0.5, 3.0, 1.0];
        assert_eq!(
            tracker.observe(&[view(&b, 2)]).pattern_changes,
            vec![Some(2)]
        );
        assert_eq!(tracker.stably_active(0), Some(vec![true, false, false]));
        // Two more all-on observations push `a` and `b` out of the window of 2.
        let on = [1.0; 6];
        tracker.observe(&[view(&on, 2)]);
        assert_eq!(tracker.stably_active(0), Some(vec![true, true, false]));
        assert_eq!(
            tracker.observe(&[view(&on, 2)]).pattern_changes,
            vec![Some(0)]
        );
        assert_eq!(tracker.stably_active(0), Some(vec![true, true, true]));
        assert_eq!(tracker.observations(), 2);
        assert_eq!(tracker.stably_active(1), None);
    }

    #[test]
    fn an_unbounded_window_remembers_every_observation() {
        let mut tracker = ActivityTracker::new(usize::MAX);
        let off = [-1.0, 1.0];
        let on = [1.0, 1.0];
        tracker.observe(&[view(&off, 1)]);
        (0..10).for_each(|_| {
            tracker.observe(&[view(&on, 1)]);
        });
        assert_eq!(tracker.stably_active(0), Some(vec![false, true]));
    }

    #[test]
    fn rows_wider_than_a_word_and_strided_views_count_alike() {
        // 3 examples × 70 units (two words a row): unit j on where (i + j) % 3 != 0, then flipped
        // for units 60..70 of example 1.
        let (n, h) = (3, 70);
        let first: Vec<f64> = (0..n * h)
            .map(|t| if (t / h + t % h) % 3 != 0 { 1.0 } else { -1.0 })
            .collect();
        let mut second = first.clone();
        (60..70).for_each(|j| second[h + j] = -second[h + j]);
        let mut tracker = ActivityTracker::new(usize::MAX);
        tracker.observe(&[view(&first, n)]);
        let transposed: Vec<f64> = (0..h * n).map(|t| second[(t % n) * h + t / n]).collect();
        let strided = MatRef::from_row_major(&transposed, h, n).unwrap().t();
        assert_eq!(
            tracker.observe(&[Some(strided)]).pattern_changes,
            vec![Some(10)]
        );
        // No unit is on for all three examples in the first pattern ((i + j) % 3 hits 0).
        assert_eq!(tracker.stably_active(0), Some(vec![false; h]));
    }

    #[test]
    fn a_tracker_continues_exactly_from_its_attachments() {
        let mut tracker = ActivityTracker::new(usize::MAX);
        let a: Vec<f64> = (0..2 * 70)
            .map(|t| if t % 3 == 0 { -1.0 } else { 1.0 })
            .collect();
        tracker.observe(&[None, view(&a, 2)]);
        let mut extra = Attachments::default();
        tracker.attach(&mut extra);
        let mut back = ActivityTracker::new(usize::MAX);
        back.continue_from(&extra).unwrap();
        let b: Vec<f64> = a.iter().map(|v| -v).collect();
        assert_eq!(
            back.observe(&[None, view(&b, 2)]),
            tracker.observe(&[None, view(&b, 2)])
        );
        assert_eq!(back.stably_active(1), tracker.stably_active(1));
        assert_eq!(back.observations(), 2);
        extra.counts.insert("activity.history".into(), vec![1]);
        assert!(ActivityTracker::new(3).continue_from(&extra).is_err());
        let empty = ActivityTracker::new(4);
        let mut none = Attachments::default();
        empty.attach(&mut none);
        let mut back = ActivityTracker::new(4);
        back.continue_from(&none).unwrap();
        assert_eq!(back.observations(), 0);
        assert_eq!(back.stably_active(0), None);
    }

    #[test]
    fn untracked_layers_report_nothing() {
        let mut tracker = ActivityTracker::new(3);
        let a = [1.0, -1.0];
        let change = tracker.observe(&[None, view(&a, 1)]);
        assert_eq!(change.pattern_changes, vec![None, Some(0)]);
        assert_eq!(change.entries, vec![0, 2]);
        assert_eq!(tracker.stably_active(0), None);
        assert_eq!(tracker.stably_active(1), Some(vec![true, false]));
    }

    #[test]
    #[should_panic(expected = "differ from the first observation")]
    fn changing_shapes_is_a_programmer_error() {
        let mut tracker = ActivityTracker::new(3);
        tracker.observe(&[view(&[1.0, 2.0], 1)]);
        tracker.observe(&[view(&[1.0, 2.0, 3.0], 1)]);
    }
}
