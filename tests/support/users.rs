//! Other users for permission tests (root only): a copy of `mp2ctl` they can
//! reach, and a user that is in a group only as a supplementary member.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// True when the tests run as root (they can then switch users).
pub fn root() -> bool {
    // SAFETY: getuid cannot fail.
    unsafe { libc::getuid() == 0 }
}

/// `mp2ctl` copied into `dir` (made 0755): the build's own copy may sit
/// under root's 0700 home, out of another user's reach.
pub fn reachable_mp2ctl(dir: &Path) -> PathBuf {
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    let bin = dir.join("mp2ctl-for-others");
    std::fs::copy(super::mp2ctl(), &bin).unwrap();
    std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

/// Runs `bin args` as uid/gid with no supplementary groups in the process
/// itself (std drops them when root sets a uid): whatever else the daemon
/// grants must come from the group database.
pub fn run_as(bin: &Path, uid: u32, gid: u32, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .uid(uid)
        .gid(gid)
        .current_dir("/")
        .output()
        .unwrap()
}

/// A non-root user listed in a group that is not its primary one.
pub struct Member {
    pub uid: u32,
    pub primary_gid: u32,
    /// The group it belongs to only as a supplementary member.
    pub group: u32,
    /// Names to delete afterwards when this test created them.
    created: Option<(String, String)>,
}

impl Member {
    /// An existing membership from the group database, else a throw-away
    /// system user and group made with `groupadd`/`useradd`.
    pub fn find_or_create() -> Member {
        existing().unwrap_or_else(create)
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some((user, group)) = &self.created {
            let _ = Command::new("userdel").arg(user).output();
            let _ = Command::new("groupdel").arg(group).output();
        }
    }
}

fn getent(db: &str, key: Option<&str>) -> String {
    let mut c = Command::new("getent");
    c.arg(db);
    if let Some(k) = key {
        c.arg(k);
    }
    String::from_utf8_lossy(&c.output().unwrap().stdout).into_owned()
}

/// (uid, primary gid) of a user name.
fn passwd(name: &str) -> Option<(u32, u32)> {
    let line = getent("passwd", Some(name));
    let f: Vec<&str> = line.trim().split(':').collect();
    Some((f.get(2)?.parse().ok()?, f.get(3)?.parse().ok()?))
}

fn existing() -> Option<Member> {
    for line in getent("group", None).lines() {
        let f: Vec<&str> = line.split(':').collect();
        let (Some(gid), Some(members)) = (f.get(2).and_then(|g| g.parse().ok()), f.get(3)) else {
            continue;
        };
        for m in members.split(',').filter(|m| !m.is_empty()) {
            if let Some((uid, primary_gid)) = passwd(m) {
                if uid != 0 && primary_gid != gid && gid != 0 {
                    return Some(Member {
                        uid,
                        primary_gid,
                        group: gid,
                        created: None,
                    });
                }
            }
        }
    }
    None
}

fn create() -> Member {
    let name = format!("mp2t{}", std::process::id());
    let ok = |c: &mut Command| assert!(c.status().unwrap().success(), "{c:?}");
    ok(Command::new("groupadd").args(["--system", &name]));
    ok(Command::new("useradd").args([
        "--system",
        "--no-create-home",
        "--shell",
        "/usr/sbin/nologin",
        "--gid",
        "nogroup",
        "--groups",
        &name,
        &name,
    ]));
    let (uid, primary_gid) = passwd(&name).expect("user just made");
    let group = getent("group", Some(&name))
        .split(':')
        .nth(2)
        .and_then(|g| g.trim().parse().ok())
        .expect("group just made");
    Member {
        uid,
        primary_gid,
        group,
        created: Some((name.clone(), name)),
    }
}
