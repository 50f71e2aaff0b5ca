//! Kerberos through the system's GSS-API, for SASL GSSAPI on the Thrift port.
//!
//! MIT's `libgssapi_krb5.so.2` is opened at run time rather than linked: the
//! binary builds without Kerberos headers (no bindgen, no libclang) and runs
//! where Kerberos is not installed; only `--thrift-kerberos-keytab` needs the
//! library, and says so at start when it is missing. The Rust GSS-API crates
//! (`libgssapi`, `cross-krb5`) generate their bindings with bindgen at build
//! time, which is why the dozen declarations below are written by hand; they
//! follow RFC 2744's C bindings, which MIT and Heimdal both export.
//!
//! Both sides are here: the acceptor the server uses, and an initiator, which
//! the tests and the security benchmark use to sign in as a Kerberos user.

use libloading::Library;
use std::ffi::{c_char, c_int, c_void, CString};
use std::path::Path;
use std::ptr::null_mut;
use std::sync::OnceLock;

type OmUint32 = u32;
type Name = *mut c_void;
type Ctx = *mut c_void;
type Cred = *mut c_void;
type Oid = *mut OidDesc;

#[repr(C)]
struct BufferDesc {
    length: usize,
    value: *mut c_void,
}

#[repr(C)]
pub struct OidDesc {
    length: OmUint32,
    elements: *mut c_void,
}

#[repr(C)]
struct KeyValue {
    key: *const c_char,
    value: *const c_char,
}

#[repr(C)]
struct KeyValueSet {
    count: OmUint32,
    elements: *const KeyValue,
}

const CONTINUE_NEEDED: OmUint32 = 1;
/// Calling and routine errors; the low 16 bits are informational.
const ERROR_MASK: OmUint32 = 0xffff_0000;
const GSS_CODE: c_int = 1;
const MECH_CODE: c_int = 2;
const INITIATE: c_int = 1;
const ACCEPT: c_int = 2;
const MUTUAL_FLAG: OmUint32 = 2;
const SEQUENCE_FLAG: OmUint32 = 8;

type AcquireCredFrom = unsafe extern "C" fn(
    *mut OmUint32,
    Name,
    OmUint32,
    *mut c_void,
    c_int,
    *const KeyValueSet,
    *mut Cred,
    *mut *mut c_void,
    *mut OmUint32,
) -> OmUint32;
type AcceptSecContext = unsafe extern "C" fn(
    *mut OmUint32,
    *mut Ctx,
    Cred,
    *mut BufferDesc,
    *mut c_void,
    *mut Name,
    *mut Oid,
    *mut BufferDesc,
    *mut OmUint32,
    *mut OmUint32,
    *mut Cred,
) -> OmUint32;
type InitSecContext = unsafe extern "C" fn(
    *mut OmUint32,
    Cred,
    *mut Ctx,
    Name,
    Oid,
    OmUint32,
    OmUint32,
    *mut c_void,
    *mut BufferDesc,
    *mut Oid,
    *mut BufferDesc,
    *mut OmUint32,
    *mut OmUint32,
) -> OmUint32;
type ImportName = unsafe extern "C" fn(*mut OmUint32, *mut BufferDesc, Oid, *mut Name) -> OmUint32;
type DisplayName = unsafe extern "C" fn(*mut OmUint32, Name, *mut BufferDesc, *mut Oid) -> OmUint32;
type InquireContext = unsafe extern "C" fn(
    *mut OmUint32,
    Ctx,
    *mut Name,
    *mut Name,
    *mut OmUint32,
    *mut Oid,
    *mut OmUint32,
    *mut c_int,
    *mut c_int,
) -> OmUint32;
type Wrap = unsafe extern "C" fn(
    *mut OmUint32,
    Ctx,
    c_int,
    OmUint32,
    *mut BufferDesc,
    *mut c_int,
    *mut BufferDesc,
) -> OmUint32;
type Unwrap = unsafe extern "C" fn(
    *mut OmUint32,
    Ctx,
    *mut BufferDesc,
    *mut BufferDesc,
    *mut c_int,
    *mut OmUint32,
) -> OmUint32;
type DisplayStatus = unsafe extern "C" fn(
    *mut OmUint32,
    OmUint32,
    c_int,
    Oid,
    *mut OmUint32,
    *mut BufferDesc,
) -> OmUint32;
type ReleaseBuffer = unsafe extern "C" fn(*mut OmUint32, *mut BufferDesc) -> OmUint32;
type ReleaseName = unsafe extern "C" fn(*mut OmUint32, *mut Name) -> OmUint32;
type ReleaseCred = unsafe extern "C" fn(*mut OmUint32, *mut Cred) -> OmUint32;
type DeleteSecContext = unsafe extern "C" fn(*mut OmUint32, *mut Ctx, *mut BufferDesc) -> OmUint32;

/// The library's entry points, looked up once.
struct Gss {
    acquire_cred_from: AcquireCredFrom,
    accept_sec_context: AcceptSecContext,
    init_sec_context: InitSecContext,
    import_name: ImportName,
    display_name: DisplayName,
    inquire_context: InquireContext,
    wrap: Wrap,
    unwrap: Unwrap,
    display_status: DisplayStatus,
    release_buffer: ReleaseBuffer,
    release_name: ReleaseName,
    release_cred: ReleaseCred,
    delete_sec_context: DeleteSecContext,
    /// `GSS_KRB5_NT_PRINCIPAL_NAME`: a name written `primary/instance@REALM`.
    nt_principal: Oid,
    _lib: Library,
}

// The function pointers and the OID are constants of a library that is never
// unloaded.
unsafe impl Send for Gss {}
unsafe impl Sync for Gss {}

const LIBRARIES: &[&str] = &["libgssapi_krb5.so.2", "libgssapi_krb5.so"];

fn gss() -> Result<&'static Gss, String> {
    static GSS: OnceLock<Result<Gss, String>> = OnceLock::new();
    GSS.get_or_init(load).as_ref().map_err(Clone::clone)
}

fn load() -> Result<Gss, String> {
    let mut last = String::new();
    for name in LIBRARIES {
        // Opening a system library runs its initialisers, which is what it is for.
        match unsafe { Library::new(*name) } {
            Ok(lib) => return resolve(lib).map_err(|e| format!("{name}: {e}")),
            Err(e) => last = e.to_string(),
        }
    }
    Err(format!(
        "Kerberos needs MIT's GSS-API library (libgssapi_krb5.so.2; Debian's package libgssapi-krb5-2), which could not be opened: {last}"
    ))
}

fn resolve(lib: Library) -> Result<Gss, libloading::Error> {
    // Each symbol is declared with the type RFC 2744 gives it.
    unsafe {
        let nt_principal: *const Oid = *lib.get::<*const Oid>(b"GSS_KRB5_NT_PRINCIPAL_NAME\0")?;
        Ok(Gss {
            acquire_cred_from: *lib.get(b"gss_acquire_cred_from\0")?,
            accept_sec_context: *lib.get(b"gss_accept_sec_context\0")?,
            init_sec_context: *lib.get(b"gss_init_sec_context\0")?,
            import_name: *lib.get(b"gss_import_name\0")?,
            display_name: *lib.get(b"gss_display_name\0")?,
            inquire_context: *lib.get(b"gss_inquire_context\0")?,
            wrap: *lib.get(b"gss_wrap\0")?,
            unwrap: *lib.get(b"gss_unwrap\0")?,
            display_status: *lib.get(b"gss_display_status\0")?,
            release_buffer: *lib.get(b"gss_release_buffer\0")?,
            release_name: *lib.get(b"gss_release_name\0")?,
            release_cred: *lib.get(b"gss_release_cred\0")?,
            delete_sec_context: *lib.get(b"gss_delete_sec_context\0")?,
            nt_principal: *nt_principal,
            _lib: lib,
        })
    }
}

/// What went wrong, in the library's own words ("Key table entry not found",
/// "Clock skew too great", …).
fn status(g: &Gss, what: &str, major: OmUint32, minor: OmUint32) -> String {
    let mut parts = Vec::new();
    for (code, kind) in [(major, GSS_CODE), (minor, MECH_CODE)] {
        if code == 0 {
            continue;
        }
        let mut ctx: OmUint32 = 0;
        loop {
            let (mut m, mut buf) = (0, empty());
            let r =
                unsafe { (g.display_status)(&mut m, code, kind, null_mut(), &mut ctx, &mut buf) };
            if r & ERROR_MASK != 0 {
                break;
            }
            let text = take(g, &mut buf);
            let text = String::from_utf8_lossy(&text).trim().to_string();
            if !text.is_empty() && !parts.contains(&text) {
                parts.push(text);
            }
            if ctx == 0 {
                break;
            }
        }
    }
    if parts.is_empty() {
        format!("{what}: GSS-API error {major:#x}/{minor}")
    } else {
        format!("{what}: {}", parts.join("; "))
    }
}

fn empty() -> BufferDesc {
    BufferDesc {
        length: 0,
        value: null_mut(),
    }
}

fn borrowed(bytes: &[u8]) -> BufferDesc {
    BufferDesc {
        length: bytes.len(),
        value: bytes.as_ptr() as *mut c_void,
    }
}

/// Copies a buffer the library allocated, and frees it.
fn take(g: &Gss, buf: &mut BufferDesc) -> Vec<u8> {
    if buf.value.is_null() || buf.length == 0 {
        return Vec::new();
    }
    let v = unsafe { std::slice::from_raw_parts(buf.value as *const u8, buf.length) }.to_vec();
    let mut m = 0;
    unsafe { (g.release_buffer)(&mut m, buf) };
    v
}

fn display(g: &Gss, name: Name) -> Result<String, String> {
    let (mut minor, mut buf) = (0, empty());
    let major = unsafe { (g.display_name)(&mut minor, name, &mut buf, null_mut()) };
    if major & ERROR_MASK != 0 {
        return Err(status(g, "reading a principal name", major, minor));
    }
    Ok(String::from_utf8_lossy(&take(g, &mut buf)).into_owned())
}

fn import(g: &Gss, principal: &str) -> Result<Name, String> {
    let (mut minor, mut name) = (0, null_mut());
    let mut buf = borrowed(principal.as_bytes());
    let major = unsafe { (g.import_name)(&mut minor, &mut buf, g.nt_principal, &mut name) };
    if major & ERROR_MASK != 0 {
        return Err(status(g, &format!("principal {principal:?}"), major, minor));
    }
    Ok(name)
}

/// Credentials from a keytab (the service's, or a user's for an initiator),
/// through MIT's credential store extension, so that no process-wide variable
/// (`KRB5_KTNAME`) has to be set.
fn acquire(
    g: &Gss,
    principal: Option<&str>,
    store: &[(&str, &str)],
    usage: c_int,
) -> Result<Cred, String> {
    let name = match principal {
        Some(p) => import(g, p)?,
        None => null_mut(),
    };
    let strings: Vec<(CString, CString)> = store
        .iter()
        .map(|(k, v)| {
            Ok((
                CString::new(*k).map_err(|e| e.to_string())?,
                CString::new(*v).map_err(|e| e.to_string())?,
            ))
        })
        .collect::<Result<_, String>>()?;
    let elements: Vec<KeyValue> = strings
        .iter()
        .map(|(k, v)| KeyValue {
            key: k.as_ptr(),
            value: v.as_ptr(),
        })
        .collect();
    let set = KeyValueSet {
        count: elements.len() as OmUint32,
        elements: elements.as_ptr(),
    };
    let (mut minor, mut cred) = (0, null_mut());
    let major = unsafe {
        (g.acquire_cred_from)(
            &mut minor,
            name,
            0,
            null_mut(),
            usage,
            &set,
            &mut cred,
            null_mut(),
            null_mut(),
        )
    };
    if !name.is_null() {
        let mut m = 0;
        let mut name = name;
        unsafe { (g.release_name)(&mut m, &mut name) };
    }
    if major & ERROR_MASK != 0 {
        let whose = principal.unwrap_or("any principal in the keytab");
        return Err(status(
            g,
            &format!("credentials for {whose} from {store:?}"),
            major,
            minor,
        ));
    }
    Ok(cred)
}

/// The service side: a keytab, and optionally which of its principals clients
/// must ask for (else any of them, as MIT does by default).
#[derive(Debug, Clone)]
pub struct Keytab {
    pub path: std::path::PathBuf,
    pub principal: Option<String>,
}

impl Keytab {
    /// Fails now, at start, on what would fail every sign-in later: no
    /// library, no keytab, or no key for the principal in it.
    pub fn check(&self) -> Result<(), String> {
        let g = gss()?;
        if !self.path.is_file() {
            return Err(format!(
                "Kerberos keytab {} does not exist",
                self.path.display()
            ));
        }
        let cred = self.credentials(g)?;
        release_cred(g, cred);
        // Acquiring an acceptor credential does not read the keys; a context
        // attempt would. The file's first byte (5, the keytab format) catches
        // the common mistakes (a password file, an empty file) without a KDC.
        let mut head = [0u8; 2];
        let mut file = std::fs::File::open(&self.path)
            .map_err(|e| format!("Kerberos keytab {}: {e}", self.path.display()))?;
        if std::io::Read::read_exact(&mut file, &mut head).is_err() || head[0] != 5 {
            return Err(format!(
                "{} is not a Kerberos keytab (made with kadmin's ktadd or ktutil)",
                self.path.display()
            ));
        }
        Ok(())
    }

    fn credentials(&self, g: &Gss) -> Result<Cred, String> {
        let path = self.path.to_string_lossy().into_owned();
        acquire(
            g,
            self.principal.as_deref(),
            &[("keytab", path.as_str())],
            ACCEPT,
        )
    }

    /// A context for one client's sign-in.
    pub fn accept(&self) -> Result<Acceptor, String> {
        let g = gss()?;
        Ok(Acceptor {
            g,
            cred: self.credentials(g)?,
            ctx: null_mut(),
        })
    }
}

fn release_cred(g: &Gss, mut cred: Cred) {
    if !cred.is_null() {
        let mut m = 0;
        unsafe { (g.release_cred)(&mut m, &mut cred) };
    }
}

fn delete(g: &Gss, ctx: &mut Ctx) {
    if !ctx.is_null() {
        let mut m = 0;
        unsafe { (g.delete_sec_context)(&mut m, ctx, null_mut()) };
    }
}

/// One step of a context's establishment.
pub enum Step {
    /// Send this token and wait for the peer's next one.
    Continue(Vec<u8>),
    /// Established; send this token (possibly empty) to the peer.
    Done(Vec<u8>),
}

fn outcome(
    g: &Gss,
    what: &str,
    major: OmUint32,
    minor: OmUint32,
    token: Vec<u8>,
) -> Result<Step, String> {
    if major & ERROR_MASK != 0 {
        Err(status(g, what, major, minor))
    } else if major & CONTINUE_NEEDED != 0 {
        Ok(Step::Continue(token))
    } else {
        Ok(Step::Done(token))
    }
}

/// The server's half of one client's sign-in.
pub struct Acceptor {
    g: &'static Gss,
    cred: Cred,
    ctx: Ctx,
}

// A context belongs to one connection; it moves between threads (the blocking
// pool) but is never used by two at once.
unsafe impl Send for Acceptor {}

impl Acceptor {
    pub fn step(&mut self, token: &[u8]) -> Result<Step, String> {
        let g = self.g;
        let mut input = borrowed(token);
        let (mut minor, mut output) = (0, empty());
        let major = unsafe {
            (g.accept_sec_context)(
                &mut minor,
                &mut self.ctx,
                self.cred,
                &mut input,
                null_mut(),
                null_mut(),
                null_mut(),
                &mut output,
                null_mut(),
                null_mut(),
                null_mut(),
            )
        };
        let out = take(g, &mut output);
        outcome(g, "Kerberos authentication", major, minor, out)
    }

    /// The client's principal (`alice@REALM`) and the service principal it
    /// asked for (`hive/host@REALM`), once established.
    pub fn names(&self) -> Result<(String, String), String> {
        let g = self.g;
        let (mut minor, mut src, mut target) = (0, null_mut(), null_mut());
        let major = unsafe {
            (g.inquire_context)(
                &mut minor,
                self.ctx,
                &mut src,
                &mut target,
                null_mut(),
                null_mut(),
                null_mut(),
                null_mut(),
                null_mut(),
            )
        };
        if major & ERROR_MASK != 0 {
            return Err(status(g, "reading the client's name", major, minor));
        }
        let names = display(g, src).and_then(|s| Ok((s, display(g, target)?)));
        let mut m = 0;
        unsafe {
            (g.release_name)(&mut m, &mut src);
            (g.release_name)(&mut m, &mut target);
        }
        names
    }

    /// Signs a message, and encrypts it with `confidential`.
    pub fn wrap(&self, message: &[u8], confidential: bool) -> Result<Vec<u8>, String> {
        wrap(self.g, self.ctx, message, confidential)
    }

    /// Checks a message's signature (and decrypts it); whether it was encrypted.
    pub fn unwrap(&self, message: &[u8]) -> Result<(Vec<u8>, bool), String> {
        unwrap(self.g, self.ctx, message)
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        delete(self.g, &mut self.ctx);
        release_cred(self.g, self.cred);
    }
}

fn wrap(g: &Gss, ctx: Ctx, message: &[u8], confidential: bool) -> Result<Vec<u8>, String> {
    let mut input = borrowed(message);
    let (mut minor, mut output) = (0, empty());
    let conf = c_int::from(confidential);
    let major = unsafe {
        (g.wrap)(
            &mut minor,
            ctx,
            conf,
            0,
            &mut input,
            null_mut(),
            &mut output,
        )
    };
    if major & ERROR_MASK != 0 {
        return Err(status(g, "wrapping a message", major, minor));
    }
    Ok(take(g, &mut output))
}

fn unwrap(g: &Gss, ctx: Ctx, message: &[u8]) -> Result<(Vec<u8>, bool), String> {
    let mut input = borrowed(message);
    let (mut minor, mut output, mut conf) = (0, empty(), 0);
    let major = unsafe {
        (g.unwrap)(
            &mut minor,
            ctx,
            &mut input,
            &mut output,
            &mut conf,
            null_mut(),
        )
    };
    if major & ERROR_MASK != 0 {
        return Err(status(g, "unwrapping a message", major, minor));
    }
    Ok((take(g, &mut output), conf != 0))
}

/// The client's half: signs in as the principal whose key is in `keytab`, to
/// `service` (`hive/localhost@REALM`). Tickets go to a memory cache of this
/// context's own, so nothing on disk changes.
pub struct Initiator {
    g: &'static Gss,
    cred: Cred,
    target: Name,
    ctx: Ctx,
}

unsafe impl Send for Initiator {}

impl Initiator {
    pub fn new(keytab: &Path, principal: &str, service: &str) -> Result<Initiator, String> {
        static CACHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let g = gss()?;
        let cache = format!(
            "MEMORY:lakecat-{}-{}",
            std::process::id(),
            CACHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let keytab = keytab.to_string_lossy().into_owned();
        let cred = acquire(
            g,
            Some(principal),
            &[
                ("client_keytab", keytab.as_str()),
                ("ccache", cache.as_str()),
            ],
            INITIATE,
        )?;
        let target = match import(g, service) {
            Ok(t) => t,
            Err(e) => {
                release_cred(g, cred);
                return Err(e);
            }
        };
        Ok(Initiator {
            g,
            cred,
            target,
            ctx: null_mut(),
        })
    }

    /// The first token (with `None`) and each next one.
    pub fn step(&mut self, token: Option<&[u8]>) -> Result<Step, String> {
        let g = self.g;
        let mut input = borrowed(token.unwrap_or_default());
        let (mut minor, mut output) = (0, empty());
        let major = unsafe {
            (g.init_sec_context)(
                &mut minor,
                self.cred,
                &mut self.ctx,
                self.target,
                null_mut(),
                MUTUAL_FLAG | SEQUENCE_FLAG,
                0,
                null_mut(),
                if token.is_some() {
                    &mut input
                } else {
                    null_mut()
                },
                null_mut(),
                &mut output,
                null_mut(),
                null_mut(),
            )
        };
        let out = take(g, &mut output);
        outcome(g, "Kerberos sign-in", major, minor, out)
    }

    /// Signs a message, and encrypts it with `confidential`.
    pub fn wrap(&self, message: &[u8], confidential: bool) -> Result<Vec<u8>, String> {
        wrap(self.g, self.ctx, message, confidential)
    }

    /// Checks a message's signature (and decrypts it); whether it was encrypted.
    pub fn unwrap(&self, message: &[u8]) -> Result<(Vec<u8>, bool), String> {
        unwrap(self.g, self.ctx, message)
    }
}

impl Drop for Initiator {
    fn drop(&mut self) {
        delete(self.g, &mut self.ctx);
        let mut m = 0;
        unsafe { (self.g.release_name)(&mut m, &mut self.target) };
        release_cred(self.g, self.cred);
    }
}
