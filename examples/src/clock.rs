//! Wall-clock time as stored in the database.

use std::time::{SystemTime, UNIX_EPOCH};

/// Returns the current time as a Unix timestamp in seconds.
///
/// A clock set before 1970 reads as 0, which makes every stored token look
/// fresh rather than failing every request.
pub fn unix_now() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();

    i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX)
}
