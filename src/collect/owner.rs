//! Who owns the data folder on Windows, and whether its permissions are its own: what
//! `folder` checks there, where Unix has an owner's user id and mode bits.
//!
//! `Register-CsBackupCollector.ps1` creates the data folder owned by Administrators with a
//! protected DACL, one that inherits nothing from `C:\ProgramData`, where every user may
//! create files. Should that folder be deleted while the task stays registered, any user
//! could create it again, own it, and put a status file saying OK in it, which the
//! service account (allowed to modify, not to take over) could then neither replace nor
//! delete. So before each run the collector reads the folder's owner and whether its DACL
//! is protected, and writes only when
//! - the owner is Administrators (S-1-5-32-544) or SYSTEM (S-1-5-18) and the DACL is
//!   protected: the folder as the registration script makes it; or
//! - the owner is the account the collector runs as: a folder that account made itself,
//!   or was given on purpose, so no other account chose where it is or what it inherits.
//!   (This is also what Wine shows for every file: the running user as owner, a DACL
//!   that is never protected. So the exe runs under Wine, which tells nothing about the
//!   other cases.)
//!
//! [`judge`] decides, in plain code whose tests run on every platform; [`check`]
//! (Windows) reads the three facts it needs through the Win32 security API.

use std::path::Path;

/// The Administrators group, the owner the registration script gives the data folder.
pub const ADMINISTRATORS: &str = "S-1-5-32-544";
/// The LocalSystem account.
pub const SYSTEM: &str = "S-1-5-18";

/// What the collector needs to know about a folder's security descriptor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderSecurity {
    /// The owner's SID, as `S-1-5-32-544`.
    pub owner: String,
    /// The owner's account name (`BUILTIN\Administrators`), when Windows knows one.
    pub owner_name: Option<String>,
    /// Whether the DACL is protected: inherits no rule from the folder above.
    pub protected: bool,
    /// The SID of the account the collector runs as.
    pub collector: String,
}

impl FolderSecurity {
    /// The owner as an operator reads it: `CONTOSO\eve (S-1-5-21-...)`, or the SID.
    fn owner_shown(&self) -> String {
        match &self.owner_name {
            Some(name) => format!("{name} ({})", self.owner),
            None => self.owner.clone(),
        }
    }
}

/// Whether the collector may write its status files into `folder`, whose owner and DACL
/// protection are `security`; `Err` says why not and what to do.
pub fn judge(folder: &Path, security: &FolderSecurity) -> Result<(), String> {
    let is = |sid: &str| security.owner.eq_ignore_ascii_case(sid);
    let shown = folder.display();
    if is(&security.collector) {
        return Ok(());
    }
    if !is(ADMINISTRATORS) && !is(SYSTEM) {
        return Err(format!(
            "the folder {shown} belongs to {}, not to Administrators, SYSTEM or the account \
             the collector runs as ({}): that account could have put a status file saying OK \
             in it, which the collector could then not replace. Look at what is in it, then \
             run Register-CsBackupCollector.ps1 again, which moves such a folder aside and \
             creates it anew with permissions of its own",
            security.owner_shown(),
            security.collector
        ));
    }
    if !security.protected {
        return Err(format!(
            "the folder {shown} belongs to {} but inherits its permissions from the folder \
             above it (its DACL is not protected), which may let other accounts create files \
             in it: run Register-CsBackupCollector.ps1 again, which creates it anew with \
             permissions of its own (or give it a protected DACL that lets only SYSTEM, \
             Administrators and the collector's account write)",
            security.owner_shown()
        ));
    }
    Ok(())
}

/// Reads `folder`'s owner and DACL protection and [`judge`]s them.
#[cfg(windows)]
pub fn check(folder: &Path) -> Result<(), String> {
    let security = win32::read(folder).map_err(|e| {
        format!(
            "cannot read who owns the folder {} ({e}): the collector's account must be \
             allowed to read its permissions, as Register-CsBackupCollector.ps1 allows it",
            folder.display()
        )
    })?;
    judge(folder, &security)
}

/// The Win32 calls: a handle on the folder itself, its security descriptor, the SIDs as
/// text, and the collector's own SID from its process token.
#[cfg(windows)]
mod win32 {
    use std::ffi::c_void;
    use std::io;
    use std::os::windows::fs::OpenOptionsExt;
    use std::os::windows::io::AsRawHandle;
    use std::path::Path;
    use std::ptr::{null, null_mut};

    use windows_sys::Win32::Foundation::{CloseHandle, LocalFree, HANDLE};
    use windows_sys::Win32::Security::Authorization::{
        ConvertSidToStringSidW, GetSecurityInfo, SE_FILE_OBJECT,
    };
    use windows_sys::Win32::Security::{
        GetSecurityDescriptorControl, GetTokenInformation, LookupAccountSidW, TokenUser,
        DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION, PSID, SE_DACL_PROTECTED,
        TOKEN_QUERY, TOKEN_USER,
    };
    use windows_sys::Win32::Storage::FileSystem::{
        FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT, READ_CONTROL,
    };
    use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

    use super::FolderSecurity;

    /// Memory Windows allocated with LocalAlloc for the caller, freed when dropped.
    struct Local(*mut c_void);

    impl Drop for Local {
        fn drop(&mut self) {
            // SAFETY: the pointer came from a Win32 call that hands its result over to be
            // freed with LocalFree, and it is freed once.
            unsafe { LocalFree(self.0) };
        }
    }

    /// A token handle, closed when dropped.
    struct Token(HANDLE);

    impl Drop for Token {
        fn drop(&mut self) {
            // SAFETY: the handle came from OpenProcessToken and is closed once.
            unsafe { CloseHandle(self.0) };
        }
    }

    pub fn read(folder: &Path) -> io::Result<FolderSecurity> {
        // The folder itself, never what a link in its place points to (the caller has
        // refused links already; this keeps a link made since from being followed).
        // READ_CONTROL is all it takes to read the owner and the DACL.
        let file = std::fs::OpenOptions::new()
            .access_mode(READ_CONTROL)
            .custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT)
            .open(folder)?;
        let mut owner: PSID = null_mut();
        let mut descriptor = null_mut();
        // SAFETY: the handle is open with READ_CONTROL; the out pointers are valid; the
        // group, DACL and SACL pointers may be null. `owner` points into `descriptor`,
        // which stays alive (Local) while `owner` is used.
        let status = unsafe {
            GetSecurityInfo(
                file.as_raw_handle() as HANDLE,
                SE_FILE_OBJECT,
                OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                &mut owner,
                null_mut(),
                null_mut(),
                null_mut(),
                &mut descriptor,
            )
        };
        if status != 0 {
            return Err(io::Error::from_raw_os_error(status as i32));
        }
        let descriptor = Local(descriptor);
        let mut control = 0u16;
        let mut revision = 0u32;
        // SAFETY: `descriptor.0` is the security descriptor GetSecurityInfo returned.
        if unsafe { GetSecurityDescriptorControl(descriptor.0, &mut control, &mut revision) } == 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(FolderSecurity {
            owner: sid_text(owner)?,
            owner_name: account_name(owner),
            protected: control & SE_DACL_PROTECTED != 0,
            collector: collector_sid()?,
        })
    }

    /// A SID as text, `S-1-5-32-544`.
    fn sid_text(sid: PSID) -> io::Result<String> {
        let mut text = null_mut();
        // SAFETY: `sid` is a valid SID; on success `text` is a NUL-terminated string
        // allocated for the caller, freed by Local.
        if unsafe { ConvertSidToStringSidW(sid, &mut text) } == 0 {
            return Err(io::Error::last_os_error());
        }
        let text = Local(text.cast());
        // SAFETY: a NUL-terminated UTF-16 string, read up to its NUL.
        Ok(unsafe { wide_until_nul(text.0.cast()) })
    }

    /// `DOMAIN\name` of a SID, when Windows knows its account.
    fn account_name(sid: PSID) -> Option<String> {
        let (mut name_len, mut domain_len, mut kind) = (0u32, 0u32, 0);
        // SAFETY: a first call with no buffers asks for their lengths.
        unsafe {
            LookupAccountSidW(
                null(),
                sid,
                null_mut(),
                &mut name_len,
                null_mut(),
                &mut domain_len,
                &mut kind,
            )
        };
        if name_len == 0 {
            return None;
        }
        let mut name = vec![0u16; name_len as usize];
        let mut domain = vec![0u16; domain_len.max(1) as usize];
        // SAFETY: the buffers hold the lengths the first call asked for.
        let found = unsafe {
            LookupAccountSidW(
                null(),
                sid,
                name.as_mut_ptr(),
                &mut name_len,
                domain.as_mut_ptr(),
                &mut domain_len,
                &mut kind,
            )
        };
        if found == 0 {
            return None;
        }
        let name = String::from_utf16_lossy(&name[..name_len as usize]);
        let domain = String::from_utf16_lossy(&domain[..domain_len as usize]);
        Some(if domain.is_empty() {
            name
        } else {
            format!("{domain}\\{name}")
        })
    }

    /// The SID of the account this process runs as, from its token.
    fn collector_sid() -> io::Result<String> {
        let mut handle: HANDLE = null_mut();
        // SAFETY: the pseudo-handle of this process; `handle` receives a token handle,
        // closed by Token.
        if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut handle) } == 0 {
            return Err(io::Error::last_os_error());
        }
        let token = Token(handle);
        let mut length = 0u32;
        // SAFETY: a first call with no buffer asks for its length.
        unsafe { GetTokenInformation(token.0, TokenUser, null_mut(), 0, &mut length) };
        // u64s: a buffer aligned for TOKEN_USER and the SID that follows it.
        let mut buffer = vec![0u64; (length as usize).div_ceil(8).max(1)];
        // SAFETY: the buffer holds `length` bytes, suitably aligned.
        let filled = unsafe {
            GetTokenInformation(
                token.0,
                TokenUser,
                buffer.as_mut_ptr().cast(),
                length,
                &mut length,
            )
        };
        if filled == 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: GetTokenInformation filled the buffer with a TOKEN_USER whose SID
        // lies within the buffer, which outlives this use.
        let user = unsafe { &*buffer.as_ptr().cast::<TOKEN_USER>() };
        sid_text(user.User.Sid)
    }

    /// # Safety
    /// `text` points to a NUL-terminated UTF-16 string.
    unsafe fn wide_until_nul(text: *const u16) -> String {
        let mut length = 0;
        // SAFETY: up to the NUL, which the caller promises.
        while unsafe { *text.add(length) } != 0 {
            length += 1;
        }
        // SAFETY: `length` elements before the NUL.
        String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(text, length) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLLECTOR: &str = "S-1-5-21-3623811015-3361044348-30300820-1013";
    const EVE: &str = "S-1-5-21-3623811015-3361044348-30300820-1107";

    fn security(owner: &str, protected: bool) -> FolderSecurity {
        FolderSecurity {
            owner: owner.into(),
            owner_name: None,
            protected,
            collector: COLLECTOR.into(),
        }
    }

    fn folder() -> &'static Path {
        Path::new(r"C:\ProgramData\check_csbackup")
    }

    /// The refusal for a folder owned by `name` (`owner`), which must say each of `words`.
    fn assert_refused(owner: &str, name: &str, protected: bool, words: &[&str]) {
        let mut security = security(owner, protected);
        security.owner_name = Some(name.into());
        let refused = judge(folder(), &security).unwrap_err();
        for words in words {
            assert!(refused.contains(words), "{words}: {refused}");
        }
    }

    #[test]
    fn accepts_the_folder_the_registration_makes() {
        assert_eq!(judge(folder(), &security(ADMINISTRATORS, true)), Ok(()));
        assert_eq!(judge(folder(), &security(SYSTEM, true)), Ok(()));
        // SIDs compare as Windows writes them, whatever the case.
        assert_eq!(judge(folder(), &security("s-1-5-32-544", true)), Ok(()));
    }

    #[test]
    fn accepts_a_folder_of_the_collectors_own_account() {
        assert_eq!(judge(folder(), &security(COLLECTOR, true)), Ok(()));
        // Inheriting or not: no other account made it (and Wine shows every folder so).
        assert_eq!(judge(folder(), &security(COLLECTOR, false)), Ok(()));
    }

    #[test]
    fn refuses_a_folder_another_account_owns() {
        assert_refused(
            EVE,
            r"CONTOSO\eve",
            true,
            &[
                r"the folder C:\ProgramData\check_csbackup belongs to CONTOSO\eve (S-1-5-21-",
                COLLECTOR,
                "run Register-CsBackupCollector.ps1 again, which moves such a folder aside",
            ],
        );
        // Protected or not, and by SID alone when the account has no name.
        let refused = judge(folder(), &security(EVE, false)).unwrap_err();
        assert!(
            refused.contains(&format!("belongs to {EVE}, not to")),
            "{refused}"
        );
        // Well-known accounts other than the two are anyone's too: Everyone, Users.
        for owner in ["S-1-1-0", "S-1-5-32-545", "S-1-5-7"] {
            assert!(judge(folder(), &security(owner, true)).is_err(), "{owner}");
        }
    }

    #[test]
    fn refuses_an_administrators_folder_that_inherits() {
        assert_refused(
            ADMINISTRATORS,
            r"BUILTIN\Administrators",
            false,
            &[
                r"belongs to BUILTIN\Administrators (S-1-5-32-544) but inherits its permissions",
                "its DACL is not protected",
                "run Register-CsBackupCollector.ps1 again",
            ],
        );
        assert!(judge(folder(), &security(SYSTEM, false)).is_err());
    }
}
