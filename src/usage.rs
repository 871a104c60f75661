//! What a scan costs its process: the peak resident memory so far.
//!
//! Takes nothing; gives [`peak_rss`], read from the kernel's own account of
//! the process (`VmHWM` in `/proc/self/status` on Linux; `None` elsewhere).
//! Only `--stats` asks, once per stage: it is not an input, and nothing a
//! scan reports depends on it.

/// The process's peak resident set size so far, in bytes, when the
/// platform tells it.
pub fn peak_rss() -> Option<u64> {
    if cfg!(target_os = "linux") {
        std::fs::read_to_string("/proc/self/status").ok().as_deref().and_then(vm_hwm)
    } else {
        None
    }
}

/// `VmHWM` of a `/proc/<pid>/status` text, in bytes (the kernel writes kB,
/// meaning KiB).
fn vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    let kib = line.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_high_water_mark_in_bytes() {
        let status = "Name:\teksguard\nVmPeak:\t  200000 kB\nVmHWM:\t   98080 kB\nVmRSS:\t   97592 kB\n";
        assert_eq!(vm_hwm(status), Some(98_080 * 1024));
    }

    #[test]
    fn a_status_without_a_readable_high_water_mark_gives_none() {
        assert_eq!(vm_hwm("VmRSS:\t 1 kB\n"), None);
        assert_eq!(vm_hwm("VmHWM:\t lots\n"), None);
        assert_eq!(vm_hwm("VmHWM:\t 12 MB\n"), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_a_peak() {
        assert!(peak_rss().is_some_and(|b| b > 0));
    }
}
