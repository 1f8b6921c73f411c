//! The built-in scheduler's memory in `settings`: up to which fire time the weekly send has been handled, so a
//! restart (or a second `serve` instance on the same store) knows whether this week's fire still needs a send.

pub(crate) const LAST_FIRE_SETTING: &str = "scheduler_last_fire";

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use crate::store::Store;

    #[test]
    fn the_last_fire_is_absent_at_first_and_only_ever_moves_forward() {
        let mut store = Store::open_in_memory().unwrap();
        assert_eq!(store.scheduler_last_fire().unwrap(), None);
        let monday = Utc.with_ymd_and_hms(2026, 11, 23, 8, 0, 0).unwrap();
        let earlier = Utc.with_ymd_and_hms(2026, 11, 16, 8, 0, 0).unwrap();
        store.record_scheduler_fire(monday).unwrap();
        store.record_scheduler_fire(earlier).unwrap();
        assert_eq!(store.scheduler_last_fire().unwrap(), Some(monday));
    }
}
