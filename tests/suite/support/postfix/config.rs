//! The instance's `main.cf` and `master.cf`, written from scratch (Postfix's defaults for everything not set):
//! every path inside the temporary folder, loopback only, no chroot (`postfix start` would not populate one), no
//! port 25, virtual delivery of `@example.org` into one Maildir, and a recipient-access map.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use super::IDLE_TIMEOUT;

/// The owner of the Maildir: Postfix's virtual agent refuses root, and `nobody` exists everywhere.
const MAILDIR_UID: u32 = 65534;

/// The listeners' ports.
#[derive(Debug, Clone, Copy)]
pub struct Ports {
    pub plain: u16,
    pub idle: u16,
    pub tls: u16,
    pub untrusted: u16,
}

/// Writes `conf/` (with the access map holding `access`) and makes the queue, data and mail folders.
pub fn write(root_dir: &Path, ports: Ports, access: &[(&str, &str)]) {
    let root = root_dir.display().to_string();
    let conf = root_dir.join("conf");
    std::fs::create_dir_all(&conf).unwrap();
    std::fs::create_dir_all(root_dir.join("queue")).unwrap();
    // The master takes its lock file in data_directory as mail_owner.
    let data = root_dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::os::unix::fs::chown(&data, Some(id("-u")), Some(id("-g"))).unwrap();
    let mail = root_dir.join("mail");
    std::fs::create_dir_all(&mail).unwrap();
    std::os::unix::fs::chown(&mail, Some(MAILDIR_UID), Some(MAILDIR_UID)).unwrap();

    let mut map = String::new();
    for (address, action) in access {
        writeln!(map, "{address} {action}").unwrap();
    }
    std::fs::write(conf.join("access"), map).unwrap();

    // Postfix's own defaults for what is not set here; every path is inside the temporary folder.
    let main = format!(
        "compatibility_level = 3.7
queue_directory = {root}/queue
data_directory = {root}/data
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
mail_owner = postfix
setgid_group = postdrop
sendmail_path = /usr/sbin/sendmail
newaliases_path = /usr/bin/newaliases
mailq_path = /usr/bin/mailq
myhostname = postfix.test
inet_interfaces = loopback-only
inet_protocols = ipv4
mydestination = localhost
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
virtual_mailbox_domains = example.org
virtual_mailbox_base = {root}/mail
virtual_mailbox_maps = static:readers/
virtual_uid_maps = static:{MAILDIR_UID}
virtual_gid_maps = static:{MAILDIR_UID}
# The trap: a maillog_file outside maillog_file_prefixes makes `postfix start` exit 1 without a word.
maillog_file = {root}/maillog
maillog_file_prefixes = {root}
smtpd_recipient_restrictions = check_recipient_access texthash:{root}/conf/access, permit_mynetworks, reject_unauth_destination
smtpd_tls_loglevel = 1
"
    );
    std::fs::write(conf.join("main.cf"), main).unwrap();

    // No chroot (`postfix start` would not populate one); no port 25.
    let tls = |name: &str| {
        format!(
            "-o smtpd_tls_security_level=may -o smtpd_tls_cert_file={root}/{name}.pem \
             -o smtpd_tls_key_file={root}/{name}.key"
        )
    };
    let master = format!(
        "127.0.0.1:{plain} inet n - n - - smtpd
127.0.0.1:{idle} inet n - n - - smtpd -o smtpd_timeout={IDLE_TIMEOUT}s
127.0.0.1:{tls} inet n - n - - smtpd {tls_options}
127.0.0.1:{untrusted} inet n - n - - smtpd {rogue_options}
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
",
        plain = ports.plain,
        idle = ports.idle,
        tls = ports.tls,
        untrusted = ports.untrusted,
        tls_options = tls("server"),
        rogue_options = tls("rogue"),
    );
    std::fs::write(conf.join("master.cf"), master).unwrap();
}

/// The `postfix` account's uid (`-u`) or gid (`-g`).
fn id(flag: &str) -> u32 {
    let output = Command::new("id")
        .args([flag, "postfix"])
        .output()
        .expect("id runs");
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("the postfix package creates the postfix user")
}
