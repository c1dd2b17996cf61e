//! A page's resources may still be running their server functions when the
//! page's render ends (it finished without them, or the browser went away).
//! Their `use_context` calls then walk up to owners that another thread is
//! letting go of. With the published reactive_graph 0.2.16 such a lookup
//! could deadlock its worker thread for good; the workspace patches it
//! (vendor/reactive_graph/PATCH.md). This test makes the losing interleaving
//! happen every time.

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use leptos::prelude::{provide_context, use_context, Owner};

/// A context value whose clone, made inside the lookup while the lookup is
/// using the owner the value lives in, lets go of the last other handle of
/// that owner: the render's side of the race, moved to the worst moment.
struct LetsGoOfItsOwner(Arc<Mutex<Option<Owner>>>);

impl Clone for LetsGoOfItsOwner {
    fn clone(&self) -> Self {
        self.0.lock().unwrap().take();
        LetsGoOfItsOwner(self.0.clone())
    }
}

#[test]
fn a_context_lookup_that_outlives_its_page_finishes() {
    let page = Owner::new();
    let resource = page.child();
    let handle = Arc::new(Mutex::new(None));
    page.with(|| provide_context(LetsGoOfItsOwner(handle.clone())));
    *handle.lock().unwrap() = Some(page);

    // On a thread of its own: a deadlocked lookup never returns, and this
    // test must fail rather than hang.
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let found = resource.with(use_context::<LetsGoOfItsOwner>).is_some();
        let _ = done.send(found);
    });
    let found = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("use_context deadlocked while dropping the last handle of an ancestor owner");
    assert!(found, "the context provided by the page is found");
    assert!(handle.lock().unwrap().is_none(), "the page's owner was let go during the lookup");
}
