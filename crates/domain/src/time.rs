//! Timestamps as CKAN writes them: naive UTC, `YYYY-MM-DDTHH:MM:SS.ffffff`, no zone, and no
//! fraction at all when the microseconds are zero (Python's `isoformat()`).

use chrono::{NaiveDateTime, SubsecRound, Utc};
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(NaiveDateTime);

impl Timestamp {
    /// Now, truncated to microseconds (what both databases keep).
    pub fn now() -> Self {
        Self(Utc::now().naive_utc().trunc_subsecs(6))
    }

    pub fn from_naive(value: NaiveDateTime) -> Self {
        Self(value.trunc_subsecs(6))
    }

    pub fn naive(self) -> NaiveDateTime {
        self.0
    }

    /// Whole seconds since the Unix epoch.
    pub fn unix_seconds(self) -> i64 {
        self.0.and_utc().timestamp()
    }

    pub fn from_unix_seconds(seconds: i64) -> Option<Self> {
        chrono::DateTime::from_timestamp(seconds, 0).map(|t| Self(t.naive_utc()))
    }

    /// CKAN's text form.
    pub fn to_ckan_string(self) -> String {
        if self.0.and_utc().timestamp_subsec_micros() == 0 {
            self.0.format("%Y-%m-%dT%H:%M:%S").to_string()
        } else {
            self.0.format("%Y-%m-%dT%H:%M:%S%.6f").to_string()
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_ckan_string())
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_ckan_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(micros: u32) -> Timestamp {
        let date = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap_or_default();
        let time = date.and_hms_micro_opt(17, 43, 30, micros).unwrap_or_default();
        Timestamp::from_naive(time)
    }

    #[test]
    fn prints_microseconds_like_python_isoformat() {
        assert_eq!(at(344_114).to_ckan_string(), "2026-11-26T17:43:30.344114");
        assert_eq!(at(4_000).to_ckan_string(), "2026-11-26T17:43:30.004000");
    }

    #[test]
    fn drops_a_zero_fraction() {
        assert_eq!(at(0).to_ckan_string(), "2026-11-26T17:43:30");
    }

    #[test]
    fn now_has_microsecond_precision() {
        let now = Timestamp::now();
        assert_eq!(now.naive().and_utc().timestamp_subsec_nanos() % 1000, 0);
    }
}
