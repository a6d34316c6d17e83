//! Who is on the other end of the control socket, and whether they may
//! change things.
//!
//! SO_PEERCRED tells only the peer's uid and primary gid. The README's way
//! to give an operator the right to run mutating commands is to add them to
//! the `mp2` group as a *supplementary* group, which the kernel does not
//! report; so that membership is looked up in the group database
//! (getgrouplist of the peer uid's user), as `id USER` would.

use tokio::net::unix::UCred;

/// Root, the daemon's own user, or a member (primary or supplementary) of
/// the daemon's group.
pub fn may_mutate(c: &UCred) -> bool {
    // SAFETY: geteuid/getegid cannot fail and touch no memory.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    c.uid() == 0 || c.uid() == uid || c.gid() == gid || groups_of(c.uid()).contains(&gid)
}

/// A passwd entry's name and primary gid.
struct Account {
    name: std::ffi::CString,
    gid: libc::gid_t,
}

fn account(uid: libc::uid_t) -> Option<Account> {
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: a zeroed passwd is a valid out-parameter (pointers null).
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes only into `pw` and `buf`, both sized as
    // passed; `pw_name` points into `buf`, copied before either is dropped.
    unsafe {
        let rc = libc::getpwuid_r(uid, &mut pw, buf.as_mut_ptr(), buf.len(), &mut out);
        if rc != 0 || out.is_null() || pw.pw_name.is_null() {
            return None;
        }
        Some(Account {
            name: std::ffi::CStr::from_ptr(pw.pw_name).to_owned(),
            gid: pw.pw_gid,
        })
    }
}

/// The user's name, or `uid N` when it has no passwd entry.
pub fn user_name(uid: u32) -> String {
    account(uid)
        .map(|a| a.name.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("uid {uid}"))
}

/// Every group the group database puts the uid's user in (its primary
/// group included); empty when the uid has no passwd entry.
pub fn groups_of(uid: u32) -> Vec<libc::gid_t> {
    let Some(a) = account(uid) else {
        return Vec::new();
    };
    let mut n: libc::c_int = 32;
    // A user in more groups than the buffer holds gets -1 and the count
    // needed; grow once per answer, bounded so a broken NSS cannot spin us.
    for _ in 0..8 {
        let mut groups = vec![0 as libc::gid_t; n as usize];
        let mut got = n;
        // SAFETY: `groups` holds `got` entries; getgrouplist writes at most
        // that many and sets `got` to the number it found.
        let rc =
            unsafe { libc::getgrouplist(a.name.as_ptr(), a.gid, groups.as_mut_ptr(), &mut got) };
        if rc >= 0 {
            groups.truncate(got.max(0) as usize);
            return groups;
        }
        n = got.max(n * 2);
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_groups_include_its_primary_group() {
        assert!(groups_of(0).contains(&0));
        assert_eq!(user_name(0), "root");
        assert!(groups_of(4_000_000_000).is_empty());
    }
}
