//! A labelled form input with its server-side error shown beside it.

use leptos::prelude::*;

use crate::error::AppError;

/// The message for `field` in the latest result of a form's action.
pub fn field_error<T, S>(result: S, field: &'static str) -> Signal<Option<String>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || result.get().and_then(|r| r.err()).and_then(|e| e.field_message(field).map(str::to_string)))
}

/// A problem with the whole form (not one field), such as "try again later".
pub fn form_error<T, S>(result: S) -> Signal<Option<String>>
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || {
        result.get().and_then(|r| r.err()).filter(|e| !matches!(e, AppError::Invalid { .. })).map(|e| e.to_string())
    })
}

/// `aria-describedby` for a control: its hint (when it has one) and its
/// error (while there is one).
fn described_by(
    hint_id: Option<String>,
    error_id: String,
    error: Signal<Option<String>>,
) -> impl Fn() -> Option<String> + Send + Sync + 'static {
    move || {
        let ids: Vec<&str> =
            hint_id.iter().map(String::as_str).chain(error.get().is_some().then_some(error_id.as_str())).collect();
        (!ids.is_empty()).then(|| ids.join(" "))
    }
}

#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] hint: Option<&'static str>,
    /// What the input starts with (an existing name, say).
    #[prop(optional, into)]
    value: Option<String>,
    #[prop(optional)] inputmode: Option<&'static str>,
    /// The element id, when two forms on one page share a field name.
    #[prop(optional)]
    id: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = id.map(str::to_string).unwrap_or_else(|| format!("field-{name}"));
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = described_by(hint.is_some().then(|| hint_id.clone()), error_id.clone(), error);
    view! {
        <div class="field" class:field--invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|text| view! { <p class="field__hint" id=hint_id.clone()>{text}</p> })}
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                inputmode=inputmode
                value=value
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
            {move || error.get().map(|message| view! { <p class="field__error" id=error_id.clone()>{message}</p> })}
        </div>
    }
}

/// A labelled drop-down list; `options` are (value, label) pairs.
#[component]
pub fn SelectField(
    #[prop(into)] label: String,
    name: String,
    options: Vec<(String, String)>,
    #[prop(optional, into)] selected: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let id = format!("field-{}", name.replace(['[', ']'], "-"));
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = described_by(hint.is_some().then(|| hint_id.clone()), error_id.clone(), error);
    view! {
        <div class="field" class:field--invalid=move || error.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|text| view! { <p class="field__hint" id=hint_id.clone()>{text}</p> })}
            <select
                id=id
                name=name
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            >
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        let is_selected = selected.as_deref() == Some(value.as_str());
                        view! { <option value=value selected=is_selected>{text}</option> }
                    })
                    .collect_view()}
            </select>
            {move || error.get().map(|message| view! { <p class="field__error" id=error_id.clone()>{message}</p> })}
        </div>
    }
}

/// A problem with the whole form, shown above its fields.
#[component]
pub fn FormAlert(#[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    move || message.get().map(|m| view! { <p class="alert" role="alert">{m}</p> })
}

/// The submit button, disabled and relabelled while the action runs.
#[component]
pub fn SubmitButton(
    label: &'static str,
    busy_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
) -> impl IntoView {
    view! {
        <button type="submit" class="button" disabled=move || pending.get()>
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}

/// A labelled multi-line text input with its error beside it.
#[component]
pub fn TextArea(
    #[prop(into)] label: String,
    name: &'static str,
    /// The element id (names like `form[description]` make poor ids).
    id: &'static str,
    #[prop(optional, into)] value: Option<String>,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = 4)] rows: u32,
    #[prop(into)] error: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let described_by = described_by(hint.is_some().then(|| hint_id.clone()), error_id.clone(), error);
    view! {
        <div class="field" class:field--invalid=move || error.get().is_some()>
            <label for=id>{label}</label>
            {hint.map(|text| view! { <p class="field__hint" id=hint_id.clone()>{text}</p> })}
            <textarea
                id=id
                name=name
                rows=rows
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            >
                {value.unwrap_or_default()}
            </textarea>
            {move || error.get().map(|message| view! { <p class="field__error" id=error_id.clone()>{message}</p> })}
        </div>
    }
}

/// Empties `form` once its action succeeds. After a change the page is
/// rendered again in place, and the browser would keep what was typed.
pub fn reset_on_success<T, S>(result: S, form: NodeRef<leptos::html::Form>)
where
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Effect::new(move |_| {
        if matches!(result.get(), Some(Ok(_))) {
            if let Some(form) = form.get_untracked() {
                form.reset();
            }
        }
    });
}
