//! Quiet hours per recipient: a local-time window (e.g. 22:00–07:00 at
//! +08:00) in which normal items wait until the window ends. Critical items
//! (safety cases) never wait: someone must act at once, night or not.
//!
//! Held items are sent when the window ends rather than dropped, because a
//! supervisor who reads their phone at 07:00 must see what arrived at 23:00.

use chrono::{DateTime, Days, FixedOffset, NaiveTime, TimeZone, Utc};

use crate::Priority;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    /// Local time the window starts (inclusive).
    pub start: NaiveTime,
    /// Local time the window ends (exclusive); earlier than `start` means
    /// the window crosses midnight. Equal to `start` means no window.
    pub end: NaiveTime,
    /// The recipient's UTC offset. China has one offset and no daylight
    /// saving, so a fixed offset is exact there.
    pub offset: FixedOffset,
}

impl QuietHours {
    pub fn new(start: NaiveTime, end: NaiveTime, offset: FixedOffset) -> Self {
        Self { start, end, offset }
    }

    /// Is this instant inside the window (in the recipient's local time)?
    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        let t = at.with_timezone(&self.offset).time();
        if self.start == self.end {
            false
        } else if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// When an item of this priority may go out: `None` means now; `Some(t)`
    /// means hold it until `t` (the end of the current window).
    pub fn hold_until(&self, now: DateTime<Utc>, priority: Priority) -> Option<DateTime<Utc>> {
        if priority == Priority::Critical || !self.contains(now) {
            return None;
        }
        let local = now.with_timezone(&self.offset);
        let today = local.date_naive();
        // Inside the window: the end is later today if we are before it
        // (the morning part), otherwise tomorrow (the evening part).
        let end_date = if local.time() < self.end {
            Some(today)
        } else {
            today.checked_add_days(Days::new(1))
        }?;
        let end_local = self
            .offset
            .from_local_datetime(&end_date.and_time(self.end))
            .single()?;
        Some(end_local.with_timezone(&Utc))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    fn night() -> QuietHours {
        QuietHours::new(
            NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
            NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
            cst(),
        )
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_normal_item_at_23_local_waits_until_07_next_morning() {
        let held = night().hold_until(at("2026-11-25T23:30:00+08:00"), Priority::Normal);
        assert_eq!(held, Some(at("2026-11-26T07:00:00+08:00")));
    }

    #[test]
    fn a_normal_item_at_03_local_waits_until_07_the_same_morning() {
        let held = night().hold_until(at("2026-11-26T03:00:00+08:00"), Priority::Normal);
        assert_eq!(held, Some(at("2026-11-26T07:00:00+08:00")));
    }

    #[test]
    fn critical_items_never_wait() {
        assert_eq!(
            night().hold_until(at("2026-11-25T23:30:00+08:00"), Priority::Critical),
            None
        );
    }

    #[test]
    fn the_window_edges_are_start_inclusive_end_exclusive() {
        assert!(night().contains(at("2026-11-25T22:00:00+08:00")));
        assert!(!night().contains(at("2026-11-26T07:00:00+08:00")));
        assert!(!night().contains(at("2026-11-25T12:00:00+08:00")));
    }

    #[test]
    fn an_empty_window_holds_nothing() {
        let t = NaiveTime::from_hms_opt(22, 0, 0).unwrap();
        let q = QuietHours::new(t, t, cst());
        assert_eq!(
            q.hold_until(at("2026-11-25T22:00:00+08:00"), Priority::Normal),
            None
        );
    }

    fn any_window() -> impl Strategy<Value = QuietHours> {
        (0u32..86_400, 0u32..86_400, -12i32..=14).prop_map(|(s, e, h)| {
            QuietHours::new(
                NaiveTime::from_num_seconds_from_midnight_opt(s, 0).unwrap(),
                NaiveTime::from_num_seconds_from_midnight_opt(e, 0).unwrap(),
                FixedOffset::east_opt(h * 3600).unwrap(),
            )
        })
    }

    proptest! {
        #[test]
        fn a_held_item_is_released_after_now_outside_the_window_within_a_day(
            q in any_window(),
            secs in 1_700_000_000i64..1_900_000_000,
        ) {
            let now = DateTime::from_timestamp(secs, 0).unwrap();
            match q.hold_until(now, Priority::Normal) {
                None => prop_assert!(!q.contains(now)),
                Some(release) => {
                    prop_assert!(q.contains(now));
                    prop_assert!(release > now);
                    prop_assert!(release - now <= chrono::Duration::hours(24));
                    prop_assert!(!q.contains(release));
                    // Still quiet one second before the release: the item is
                    // not held longer than the window.
                    prop_assert!(q.contains(release - chrono::Duration::seconds(1)));
                }
            }
        }

        #[test]
        fn critical_is_never_held(q in any_window(), secs in 1_700_000_000i64..1_900_000_000) {
            let now = DateTime::from_timestamp(secs, 0).unwrap();
            prop_assert_eq!(q.hold_until(now, Priority::Critical), None);
        }
    }
}
