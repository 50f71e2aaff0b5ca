//! The sled store passes the conformance suite every backend shares.

use lakecat_store_sled::SledStore;

#[test]
fn sled_store_conforms() {
    let dirs = std::cell::RefCell::new(Vec::new());
    lakecat_catalog_api::conformance::run_all(&|cap| {
        let dir = tempfile::tempdir().unwrap();
        let s = SledStore::open(dir.path(), cap).unwrap();
        dirs.borrow_mut().push(dir);
        Box::new(s)
    });
}
