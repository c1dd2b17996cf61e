//! One checklist item of one service: what it asks for, where it stands,
//! its status (the team sets it), and the thread where the team and
//! auditors discuss it.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::items::{
    fetch_item, AddEvidenceLink, CiteDocument, CommentOnItem, DecideWaiver, RequestWaiver, ReviewItem, SetItemStatus,
    WithdrawEvidence,
};
use crate::components::field::reset_on_success;
use crate::components::field::Field;
use crate::components::field::{field_error, form_error, FormAlert, SelectField, SubmitButton, TextArea};
use crate::components::local_time::LocalTime;
use crate::components::readiness::{SeverityTag, StandingText};
use crate::domain::items::{Decision, ItemDetail, LiveData, WaiverState};
use crate::domain::readiness::ItemStatus;
use crate::domain::uploads::UploadProblem;
use crate::error::AppError;
use crate::pages::not_found::NotFound;
use leptos_router::hooks::use_query_map;

#[derive(Clone, Copy)]
struct ItemActions {
    status: ServerAction<SetItemStatus>,
    comment: ServerAction<CommentOnItem>,
    review: ServerAction<ReviewItem>,
    request_waiver: ServerAction<RequestWaiver>,
    decide_waiver: ServerAction<DecideWaiver>,
    add_link: ServerAction<AddEvidenceLink>,
    cite: ServerAction<CiteDocument>,
    withdraw: ServerAction<WithdrawEvidence>,
}

#[component]
pub fn ItemPage() -> impl IntoView {
    let params = use_params_map();
    // Read here, outside the Transition: router lookups inside its
    // discarded first pass are what the layout's comment warns about.
    let query = use_query_map();
    let problem = Memo::new(move |_| {
        let query = query.read();
        UploadProblem::from_query(|key| query.get_str(key)).map(|p| (p.field(), p.message()))
    });
    let item_id = Memo::new(move |_| params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or(0));
    let actions = ItemActions {
        status: ServerAction::new(),
        comment: ServerAction::new(),
        review: ServerAction::new(),
        request_waiver: ServerAction::new(),
        decide_waiver: ServerAction::new(),
        add_link: ServerAction::new(),
        cite: ServerAction::new(),
        withdraw: ServerAction::new(),
    };
    let versions = move || {
        actions.status.version().get()
            + actions.comment.version().get()
            + actions.review.version().get()
            + actions.request_waiver.version().get()
            + actions.decide_waiver.version().get()
            + actions.add_link.version().get()
            + actions.cite.version().get()
            + actions.withdraw.version().get()
    };
    let item = Resource::new(move || (item_id.get(), versions()), |(id, _)| fetch_item(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading item…"</p> }>
            {move || {
                item.get().map(|answer| match answer {
                    Ok(item) => view! { <ItemView item actions problem/> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound/> }.into_any(),
                    Err(e) => view! { <Title text="Item"/><p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
    }
}

#[component]
fn ItemView(item: ItemDetail, actions: ItemActions, problem: Memo<Option<(&'static str, String)>>) -> impl IntoView {
    let def = item.def.clone();
    let freshness = match def.valid_days {
        0 => "Never goes stale".to_string(),
        days => format!("Goes stale {days} days after approval"),
    };
    let approvals = match def.approvals {
        0 => "No approval needed".to_string(),
        1 => "1 approval".to_string(),
        n => format!("{n} approvals from different reviewers"),
    };
    let tiers = def.tiers.as_ref().map(|tiers| {
        let list: Vec<String> = tiers.iter().map(u8::to_string).collect();
        format!("Tiers {}", list.join(", "))
    });
    view! {
        <Title text=def.title.clone()/>
        <nav class="breadcrumb" aria-label="Breadcrumb">
            <a href=format!("/services/{}", item.service_slug)>{item.service_name.clone()}</a>
            " › " {item.checklist.clone()} " › " {item.section.clone()}
        </nav>
        <div class="page-head">
            <h1>{def.title.clone()}</h1>
        </div>
        <section class="panel" aria-labelledby="standing-heading">
            <h2 id="standing-heading">"Where it stands"</h2>
            <p class="item-standing"><StandingText standing=item.standing.clone()/></p>
            {item.live.clone().map(|live| view! { <LiveProof live/> })}
            <dl class="item-facts">
                <dt>"Status"</dt>
                <dd>
                    {item.status.label()}
                    {item.status_by.clone().map(|by| view! { <span class="muted">" · set by " {by}</span> })}
                    {item.status_at.map(|at| view! { <span class="muted">" · " <LocalTime millis=at/></span> })}
                </dd>
                {item.na_justification.clone().map(|why| view! {
                    <dt>"Why not applicable"</dt>
                    <dd>{why} {(!item.na_accepted).then(|| view! { " " <span class="badge badge--warn">"Awaiting an auditor"</span> })}</dd>
                })}
                <dt>"Severity"</dt>
                <dd><SeverityTag severity=def.severity/></dd>
                <dt>"Level"</dt>
                <dd>{def.level.label()}</dd>
                <dt>"Evidence"</dt>
                <dd>{match def.evidence.wanted() { "nothing" => "None needed".to_string(), wanted => format!("Needs {wanted}") }}</dd>
                <dt>"Review"</dt>
                <dd>{approvals}</dd>
                <dt>"Freshness"</dt>
                <dd>
                    {freshness}
                    {item.stale_at.map(|at| view! { <span class="muted">" · stale from " <LocalTime millis=at/></span> })}
                </dd>
                {tiers.map(|t| view! { <dt>"Applies to"</dt><dd>{t} {(!item.applies).then_some(" (not this service's tier)")}</dd> })}
            </dl>
            {(!def.guidance.is_empty()).then(|| view! {
                <h3>"Guidance"</h3>
                <p class="prose">{def.guidance.clone()}</p>
            })}
        </section>
        {item.can_work.then(|| view! { <StatusForm item=item.clone() action=actions.status/> })}
        <Evidence item=item.clone() actions problem/>
        <Review item=item.clone() action=actions.review/>
        <Waivers item=item.clone() actions/>
        <Comments item=item.clone() action=actions.comment/>
    }
}

#[component]
fn StatusForm(item: ItemDetail, action: ServerAction<SetItemStatus>) -> impl IntoView {
    let result = action.value();
    let options: Vec<(String, String)> =
        ItemStatus::ALL.iter().map(|s| (s.as_str().to_string(), s.label().to_string())).collect();
    view! {
        <section class="panel form-panel" aria-labelledby="status-heading">
            <h2 id="status-heading">"Update status"</h2>
            <ActionForm action=action attr:novalidate=true>
                <FormAlert message=form_error(result)/>
                <input type="hidden" name="item_id" value=item.id.to_string()/>
                <input type="hidden" name="version" value=item.version.to_string()/>
                <SelectField label="Status" name="status".to_string() options selected=item.status.as_str().to_string() error=field_error(result, "status")/>
                <TextArea
                    label="Why it does not apply"
                    name="justification"
                    id="item-justification"
                    value=item.na_justification.clone().unwrap_or_default()
                    hint="Needed for “Not applicable”; an auditor accepts it before the item stops counting."
                    rows=3
                    error=field_error(result, "justification")
                />
                <SubmitButton label="Save status" busy_label="Saving…" pending=action.pending()/>
            </ActionForm>
        </section>
    }
}

#[component]
fn Comments(item: ItemDetail, action: ServerAction<CommentOnItem>) -> impl IntoView {
    let result = action.value();
    let form = NodeRef::new();
    reset_on_success(result, form);
    view! {
        <section class="panel" aria-labelledby="comments-heading">
            <h2 id="comments-heading">"Discussion"</h2>
            {if item.comments.is_empty() {
                view! { <p class="muted">"No comments yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="comments">
                        {item.comments.iter().map(|c| view! {
                            <li>
                                <p class="comments__meta"><strong>{c.author.clone()}</strong> <span class="muted">" · " <LocalTime millis=c.at/></span></p>
                                <p class="prose">{c.body.clone()}</p>
                            </li>
                        }).collect_view()}
                    </ol>
                }
                .into_any()
            }}
            {item.can_comment.then(|| view! {
                <ActionForm action=action node_ref=form attr:novalidate=true>
                    <FormAlert message=form_error(result)/>
                    <input type="hidden" name="item_id" value=item.id.to_string()/>
                    <TextArea label="Add a comment" name="body" id="comment-body" rows=3 error=field_error(result, "body")/>
                    <SubmitButton label="Post comment" busy_label="Posting…" pending=action.pending()/>
                </ActionForm>
            })}
        </section>
    }
}

/// The review history (everyone reads it) and, for reviewers, the decision
/// form: only the decisions that fit the item's state are offered, and the
/// server refuses the rest anyway.
#[component]
fn Review(item: ItemDetail, action: ServerAction<ReviewItem>) -> impl IntoView {
    let result = action.value();
    let decisions: Vec<Decision> = match item.status {
        ItemStatus::Done => {
            let mut d = Vec::new();
            if item.def.approvals > 0 && !item.own_work {
                d.push(Decision::Approve);
            }
            d.push(Decision::Reject);
            if item.reviews.iter().any(|r| r.decision == Decision::Approve && !r.superseded) {
                d.push(Decision::Revoke);
            }
            d
        }
        ItemStatus::NotApplicable if !item.na_accepted => {
            if item.own_work {
                vec![Decision::DeclineNa]
            } else {
                vec![Decision::AcceptNa, Decision::DeclineNa]
            }
        }
        _ => Vec::new(),
    };
    let options: Vec<(String, String)> = decisions
        .iter()
        .map(|d| {
            let label = match d {
                Decision::Approve => "Approve",
                Decision::Reject => "Reject: send back to the team",
                Decision::Revoke => "Revoke the approvals",
                Decision::AcceptNa => "Accept as not applicable",
                Decision::DeclineNa => "Decline: the item applies",
            };
            (d.as_str().to_string(), label.to_string())
        })
        .collect();
    let show_form = item.can_review && !options.is_empty();
    if item.reviews.is_empty() && !show_form && !item.can_review {
        return ().into_any();
    }
    view! {
        <section class="panel" aria-labelledby="review-heading">
            <h2 id="review-heading">"Review"</h2>
            {if item.reviews.is_empty() {
                view! { <p class="muted">"No review decisions yet."</p> }.into_any()
            } else {
                view! {
                    <ol class="comments" aria-label="Review history">
                        {item.reviews.iter().map(|r| view! {
                            <li class:superseded=r.superseded>
                                <p class="comments__meta">
                                    <strong>{r.reviewer.clone()}</strong> " " {r.decision.past_tense()}
                                    {r.superseded.then_some(" (no longer counts)")}
                                    <span class="muted">" · " <LocalTime millis=r.at/></span>
                                </p>
                                {(!r.comment.is_empty()).then(|| view! { <p class="prose">{r.comment.clone()}</p> })}
                            </li>
                        }).collect_view()}
                    </ol>
                }
                .into_any()
            }}
            {(item.can_review && item.own_work).then(|| view! {
                <p class="notice notice--warn">"You ticked this item or added its evidence, so another reviewer must approve it."</p>
            })}
            {show_form.then(|| view! {
                <ActionForm action=action attr:novalidate=true>
                    <FormAlert message=form_error(result)/>
                    <FormAlert message=field_error(result, "decision")/>
                    <input type="hidden" name="item_id" value=item.id.to_string()/>
                    <input type="hidden" name="version" value=item.version.to_string()/>
                    <SelectField label="Decision" name="decision".to_string() options error=Signal::derive(|| None::<String>)/>
                    <TextArea label="Comment for the team" name="comment" id="review-comment" rows=3 hint="Required when rejecting, revoking or declining." error=field_error(result, "comment")/>
                    <SubmitButton label="Record decision" busy_label="Recording…" pending=action.pending()/>
                </ActionForm>
            })}
        </section>
    }
    .into_any()
}

/// The item's waivers; leads ask for one while the item blocks launch,
/// reviewers other than the requester grant or decline it.
#[component]
fn Waivers(item: ItemDetail, actions: ItemActions) -> impl IntoView {
    let request_result = actions.request_waiver.value();
    let decide_result = actions.decide_waiver.value();
    let open = item.waivers.iter().any(|w| w.state == WaiverState::Requested);
    if item.waivers.is_empty() && !item.can_request_waiver {
        return ().into_any();
    }
    view! {
        <section class="panel" aria-labelledby="waivers-heading">
            <h2 id="waivers-heading">"Waivers"</h2>
            <FormAlert message=form_error(decide_result)/>
            <FormAlert message=field_error(decide_result, "waiver")/>
            <ul class="comments" aria-label="Waivers of this item">
                {item.waivers.iter().map(|w| {
                    let decidable = item.can_review && w.state == WaiverState::Requested;
                    let id = w.id.to_string();
                    view! {
                        <li>
                            <p class="comments__meta">
                                <strong>{w.state.label()}</strong>
                                " · asked by " {w.requested_by.clone()} " · "
                                <LocalTime millis=w.requested_at/>
                                " · until " <LocalTime millis=w.expires_at/>
                            </p>
                            <p class="prose"><strong>"Reason: "</strong>{w.reason.clone()}</p>
                            <p class="prose"><strong>"Compensating control: "</strong>{w.compensating_control.clone()}</p>
                            {w.decided_by.clone().map(|by| view! {
                                <p class="muted">{format!("Decided by {by}")} {w.comment.clone().map(|c| format!(": {c}"))}</p>
                            })}
                            {decidable.then(|| view! {
                                <ActionForm action=actions.decide_waiver attr:class="waiver-decision" attr:novalidate=true>
                                    <input type="hidden" name="waiver_id" value=id.clone()/>
                                    <SelectField
                                        label="Waiver decision"
                                        name="grant".to_string()
                                        options=vec![("true".to_string(), "Grant".to_string()), ("false".to_string(), "Decline".to_string())]
                                        error=Signal::derive(|| None::<String>)
                                    />
                                    <TextArea label="Comment on the waiver" name="comment" id="waiver-comment" rows=2 hint="Required when declining." error=field_error(decide_result, "comment")/>
                                    <SubmitButton label="Record waiver decision" busy_label="Recording…" pending=actions.decide_waiver.pending()/>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {(item.can_request_waiver && !open).then(|| view! {
                <ActionForm action=actions.request_waiver attr:novalidate=true attr:aria-label="Ask for a waiver">
                    <h3>"Ask for a waiver"</h3>
                    <p class="muted">"A granted waiver lets this item pass the launch gate by exception until it expires (at most 180 days)."</p>
                    <FormAlert message=form_error(request_result)/>
                    <FormAlert message=field_error(request_result, "waiver")/>
                    <input type="hidden" name="item_id" value=item.id.to_string()/>
                    <TextArea label="Reason" name="reason" id="waiver-reason" rows=2 error=field_error(request_result, "reason")/>
                    <TextArea label="Compensating control" name="compensating_control" id="waiver-control" rows=2 hint="What limits the risk until the item is met." error=field_error(request_result, "compensating_control")/>
                    <Field label="Last day of the waiver" name="expires_on" kind="date" error=field_error(request_result, "expires_on")/>
                    <SubmitButton label="Ask for waiver" busy_label="Sending…" pending=actions.request_waiver.pending()/>
                </ActionForm>
            })}
        </section>
    }
    .into_any()
}

/// A size for people: "12.3 MiB", "840 KiB", "96 bytes".
fn human_size(bytes: i64) -> String {
    const KIB: f64 = 1024.0;
    let b = bytes as f64;
    if b >= KIB * KIB {
        format!("{:.1} MiB", b / KIB / KIB)
    } else if b >= KIB {
        format!("{:.0} KiB", b / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

/// The item's evidence (current, then withdrawn) and, for the team, the
/// ways to add more: a link, a file (a plain multipart form, so it works
/// without the page's script), or one of the service's documents.
#[component]
fn Evidence(item: ItemDetail, actions: ItemActions, problem: Memo<Option<(&'static str, String)>>) -> impl IntoView {
    let upload_error = Signal::derive(move || problem.get().map(|(_, message)| message));
    let link_result = actions.add_link.value();
    let cite_result = actions.cite.value();
    let withdraw_result = actions.withdraw.value();
    let link_form = NodeRef::new();
    reset_on_success(link_result, link_form);
    let wanted = match item.def.evidence.wanted() {
        "nothing" => "This item needs no evidence; anything attached helps the reviewer.".to_string(),
        wanted => format!("This item needs {wanted}."),
    };
    let current = item.evidence.iter().filter(|e| e.withdrawn_at.is_none()).count();
    view! {
        <section class="panel" id="evidence" aria-labelledby="evidence-heading">
            <h2 id="evidence-heading">"Evidence"</h2>
            <p class="muted">{wanted}</p>
            <FormAlert message=form_error(withdraw_result)/>
            {if item.evidence.is_empty() {
                view! { <p class="muted">"No evidence yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="evidence-list" aria-label="Evidence for this item">
                        {item.evidence.iter().map(|e| {
                            let withdrawn = e.withdrawn_at.is_some();
                            let what = match (&e.document, &e.download, &e.url) {
                                (Some(doc), Some(href), _) => view! { <a href=href.clone() download="">{doc.clone()}</a> }.into_any(),
                                (Some(doc), None, Some(url)) => view! { <a href=url.clone() rel="noopener noreferrer" target="_blank">{doc.clone()}</a> }.into_any(),
                                (None, Some(href), _) => view! {
                                    <a href=href.clone() download="">{e.file_name.clone().unwrap_or_default()}</a>
                                    <span class="muted">{e.size_bytes.map(|b| format!(" ({})", human_size(b)))}</span>
                                }.into_any(),
                                (_, _, Some(url)) => view! { <a href=url.clone() rel="noopener noreferrer" target="_blank">{url.clone()}</a> }.into_any(),
                                _ => view! { <span>{e.document.clone().unwrap_or_default()}</span> }.into_any(),
                            };
                            let kind = match e.kind {
                                crate::domain::items::EvidenceKind::Link => "Link",
                                crate::domain::items::EvidenceKind::File => "File",
                                crate::domain::items::EvidenceKind::Document => "Document",
                            };
                            let id = e.id.to_string();
                            view! {
                                <li class:withdrawn=withdrawn>
                                    <span class="badge">{kind}</span> " " {what}
                                    {withdrawn.then(|| view! { " " <span class="badge badge--warn">"Withdrawn"</span> })}
                                    <p class="muted evidence-list__meta">
                                        "Added by " {e.added_by.clone()} " · " <LocalTime millis=e.added_at/>
                                        {(!e.note.is_empty()).then(|| format!(" · {}", e.note))}
                                    </p>
                                    {(item.can_work && !withdrawn).then(|| view! {
                                        <ActionForm action=actions.withdraw attr:class="inline-form">
                                            <input type="hidden" name="evidence_id" value=id.clone()/>
                                            <button type="submit" class="button button--secondary button--small">"Withdraw"</button>
                                        </ActionForm>
                                    })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }
                .into_any()
            }}
            {(current == 0 && item.can_review).then(|| view! { <p class="muted">"Nothing to open yet."</p> })}
            {item.can_work.then(|| view! {
                <div class="evidence-forms">
                    <ActionForm action=actions.add_link node_ref=link_form attr:novalidate=true attr:class="evidence-form" attr:aria-label="Add a link">
                        <h3>"Add a link"</h3>
                        <FormAlert message=form_error(link_result)/>
                        <input type="hidden" name="item_id" value=item.id.to_string()/>
                        <Field label="Link" name="url" kind="url" id="evidence-url" error=field_error(link_result, "url")/>
                        <Field label="Note" name="note" id="evidence-link-note" error=field_error(link_result, "note")/>
                        <SubmitButton label="Add link" busy_label="Adding…" pending=actions.add_link.pending()/>
                    </ActionForm>
                    <form method="post" enctype="multipart/form-data" action=format!("/items/{}/evidence/file", item.id) class="evidence-form" id="upload" aria-label="Upload a file">
                        <h3>"Upload a file"</h3>
                        <p class="field__hint">"PDF, PNG, JPEG, text, Markdown, CSV, JSON or ZIP."</p>
                        <Field label="Note" name="note" id="evidence-file-note" error=Signal::derive(move || problem.get().filter(|(f, _)| *f == "note").map(|(_, m)| m))/>
                        <div class="field" class:field--invalid=move || upload_error.get().is_some()>
                            <label for="evidence-file">"File"</label>
                            <input id="evidence-file" name="file" type="file" aria-describedby=move || upload_error.get().map(|_| "evidence-file-error")/>
                            {move || problem.get().filter(|(f, _)| *f == "file").map(|(_, message)| view! { <p class="field__error" id="evidence-file-error">{message}</p> })}
                        </div>
                        <button type="submit" class="button">"Upload file"</button>
                    </form>
                    {(!item.citable.is_empty()).then(|| {
                        let options = std::iter::once((String::new(), "Choose a document…".to_string()))
                            .chain(item.citable.iter().map(|(id, label)| (id.to_string(), label.clone())))
                            .collect::<Vec<_>>();
                        view! {
                            <ActionForm action=actions.cite attr:novalidate=true attr:class="evidence-form" attr:aria-label="Cite a service document">
                                <h3>"Cite a service document"</h3>
                                <FormAlert message=form_error(cite_result)/>
                                <input type="hidden" name="item_id" value=item.id.to_string()/>
                                <SelectField label="Document" name="document_version_id".to_string() options error=field_error(cite_result, "document_version_id")/>
                                <input type="hidden" name="note" value=""/>
                                <SubmitButton label="Cite document" busy_label="Citing…" pending=actions.cite.pending()/>
                            </ActionForm>
                        }
                    })}
                </div>
            })}
        </section>
    }
}

/// An item satisfied by live data: what proves it (or is missing) and the
/// probes' figures now.
#[component]
fn LiveProof(live: LiveData) -> impl IntoView {
    let LiveData { proof, figures, .. } = live;
    // What is missing is the standing line above; what proves it is here.
    let proven = proof.as_ref().is_some_and(|p| p.proven);
    let note = match proof {
        Some(p) if p.proven => Some(view! { <p><strong>"Proven by live data: "</strong>{p.note}</p> }.into_any()),
        Some(_) => None,
        None => Some(
            view! { <p>"Not judged yet: live data is judged every minute once the service has probes."</p> }.into_any(),
        ),
    };
    view! {
        <div class="live-proof" class:live-proof--proven=proven>
            {note}
            {(!figures.is_empty()).then(|| view! {
                <ul class="live-proof__figures" aria-label="Live figures">
                    {figures.into_iter().map(|f| view! { <li>{f}</li> }).collect_view()}
                </ul>
            })}
            <p class="muted">"This item is satisfied by the service's probes and alert rules, not by ticking it; it is judged again every minute."</p>
        </div>
    }
}
