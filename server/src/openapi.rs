//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the core's body schemas, served at `/openapi.json`.

use gridwork_core::sync::protocol::{MIN_PROTOCOL_VERSION, PROTOCOL_HEADER};
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, KnownFormat, Ref, ResponseBuilder, SchemaFormat};
use utoipa::{Modify, OpenApi};

use crate::routes;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_credential",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("设备凭证 / the device credential from /v1/activate"))
                    .build(),
            ),
        );
    }
}

/// What every `/v1` operation shares because of the layers it passes
/// through, written once here rather than by hand on every handler.
///
/// The `X-Gridwork-Protocol` header: the versions the server accepts,
/// `MIN_PROTOCOL_VERSION` and up (any newer one too).
///
/// The refusals:
/// - 400 from the protocol middleware (the `X-Gridwork-Protocol` header is
///   missing or not a number), from `routes::parse` (the body is not the
///   JSON the operation takes) and from the handlers' own header and query
///   checks;
/// - 401 from the device credential extractor, on operations that need one;
/// - 413 on operations that take a body: over `BODY_LIMIT` (64 MiB);
/// - 426 from the protocol middleware (the app speaks an older protocol).
struct V1Conventions;

impl Modify for V1Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            if !path.starts_with("/v1/") {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                for param in op.parameters.iter_mut().flatten() {
                    if param.parameter_in == ParameterIn::Header
                        && param.name.eq_ignore_ascii_case(PROTOCOL_HEADER)
                    {
                        param.schema = Some(
                            ObjectBuilder::new()
                                .schema_type(Type::Integer)
                                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
                                .minimum(Some(MIN_PROTOCOL_VERSION))
                                .maximum(Some(u32::MAX))
                                .into(),
                        );
                    }
                }
                refusal(
                    op,
                    "400",
                    "请求格式不对 / malformed request: protocol header, body, header or query",
                );
                if op.request_body.is_some() {
                    refusal(
                        op,
                        "413",
                        "请求内容太大 / the body is over the 64 MiB limit",
                    );
                }
                if op.security.as_ref().is_some_and(|s| !s.is_empty()) {
                    refusal(op, "401", "设备凭证无效或设备已停用 / unknown credential, or the device was revoked (`wipe`)");
                }
                if path.starts_with("/v1/uploads") {
                    // tus routes: no X-Gridwork-Protocol, so no 426.
                    continue;
                }
                refusal(
                    op,
                    "426",
                    "请更新应用 / the app speaks a protocol older than the server accepts",
                );
            }
        }
    }
}

/// The tus headers as what they are: `Tus-Resumable` is exactly `1.0.0`,
/// lengths and offsets are non-negative integers (`Upload-Length` at most
/// `Tus-Max-Size`).
struct TusConventions;

impl Modify for TusConventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            if !path.starts_with("/v1/uploads") {
                continue;
            }
            let operations = [
                &mut item.head,
                &mut item.options,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                for param in op.parameters.iter_mut().flatten() {
                    if param.parameter_in != ParameterIn::Header {
                        continue;
                    }
                    let name = param.name.to_ascii_lowercase();
                    let schema = match name.as_str() {
                        "tus-resumable" => ObjectBuilder::new()
                            .schema_type(Type::String)
                            .enum_values(Some([routes::tus::TUS_VERSION]))
                            .into(),
                        "upload-length" => ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(0))
                            .maximum(Some(crate::storage::uploads::MAX_UPLOAD_SIZE))
                            .into(),
                        "upload-offset" => ObjectBuilder::new()
                            .schema_type(Type::Integer)
                            .minimum(Some(0))
                            .maximum(Some(i64::MAX))
                            .into(),
                        _ => continue,
                    };
                    param.schema = Some(schema);
                }
            }
        }
    }
}

/// Document `status` with an `ErrorBody`, unless the handler already does.
fn refusal(op: &mut Operation, status: &str, description: &str) {
    op.responses
        .responses
        .entry(status.to_string())
        .or_insert_with(|| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
                .into()
        });
}

#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Gridwork sync API",
        description = "网格员现场工作的同步接口 / Sync and administration API for Gridwork phones and consoles. \
Every /v1 request carries the header X-Gridwork-Protocol (currently 1); bodies may be gzip- or zstd-encoded.",
        version = "1"
    ),
    paths(
        routes::health,
        routes::sync::activate,
        routes::sync::push,
        routes::sync::pull,
        routes::sync::rotate,
        routes::members::reveal,
        routes::admin::coverage,
        routes::admin::import_regions,
        routes::admin::import_households,
        routes::admin::import_members,
        routes::admin::put_user,
        routes::admin::put_assignment,
        routes::admin::put_console_account,
        routes::admin::put_template,
        routes::admin::put_deadline_policy,
        routes::admin::put_visit_policy,
        routes::admin::activation_code,
        routes::admin::devices,
        routes::admin::revoke,
        routes::admin::report,
        routes::clock::get_clock,
        routes::clock::set_clock,
        routes::notify::push_config,
        routes::notify::deliveries,
        routes::tus::options,
        routes::tus::create,
        routes::tus::head,
        routes::tus::patch,
        routes::tus::terminate,
        routes::tus::content,
        routes::tus::upload_states,
    ),
    components(schemas(
        routes::sync::RotateResponse,
        routes::admin::Done,
        routes::admin::ConsolePassword,
        routes::admin::Stored,
        routes::admin::CodeRequest,
        routes::clock::ClockRequest,
        routes::clock::ClockResponse,
        crate::escalation::EngineTick,
        crate::escalation::DispatchReport,
        crate::storage::ActivationCode,
        crate::storage::DeviceInfo,
        crate::storage::AdminReport,
        crate::storage::UploadStatesRequest,
        crate::storage::UploadStatesResponse,
        crate::storage::EvidenceUploadState,
        crate::storage::PhotoState,
        gridwork_core::store::ServerFigures,
        gridwork_core::store::Count,
    )),
    modifiers(&BearerAuth, &V1Conventions, &TusConventions)
)]
pub struct ApiDoc;

/// The whole document: paths here, body schemas from the core.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(gridwork_core::sync::openapi::SyncSchemas::openapi());
    doc
}

/// The document as `/openapi.json` serves it: [`document`] with every
/// unsigned integer described as what it is.
pub fn served() -> serde_json::Result<serde_json::Value> {
    let mut doc = serde_json::to_value(document())?;
    widen_unsigned(&mut doc);
    Ok(doc)
}

/// utoipa writes Rust's `u32` as `{"type": "integer", "format": "int32",
/// "minimum": 0}` and `u64` as the same with `int64`, but OpenAPI's formats
/// are signed: values from 2^31 (2^63) up, which the server reads, would be
/// outside the document. Such a schema (a format with minimum 0 and no
/// maximum; `u8` and `u16` carry their maximum, and no signed field here
/// declares a minimum) gets its real range: `u32` becomes `int64` up to
/// `u32::MAX`, and `u64`, which no OpenAPI format holds, an integer up to
/// `u64::MAX`.
fn widen_unsigned(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            let unsigned = map.get("minimum").and_then(serde_json::Value::as_u64) == Some(0)
                && !map.contains_key("maximum");
            match map.get("format").and_then(|f| f.as_str()) {
                Some("int32") if unsigned => {
                    map.insert("format".into(), "int64".into());
                    map.insert("maximum".into(), u32::MAX.into());
                }
                Some("int64") if unsigned => {
                    map.remove("format");
                    map.insert("maximum".into(), u64::MAX.into());
                }
                _ => {}
            }
            map.values_mut().for_each(widen_unsigned);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(widen_unsigned),
        _ => {}
    }
}
