//! The OpenAPI 3.1 document, generated from the handlers' annotations and
//! the core's body schemas, served at `/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
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
        routes::admin::coverage,
        routes::admin::import_regions,
        routes::admin::import_households,
        routes::admin::import_members,
        routes::admin::put_user,
        routes::admin::put_assignment,
        routes::admin::put_template,
        routes::admin::put_deadline_policy,
        routes::admin::put_visit_policy,
        routes::admin::activation_code,
        routes::admin::devices,
        routes::admin::revoke,
    ),
    components(schemas(
        routes::sync::RotateResponse,
        routes::admin::Done,
        routes::admin::Stored,
        routes::admin::CodeRequest,
        crate::storage::ActivationCode,
        crate::storage::DeviceInfo,
    )),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

/// The whole document: paths here, body schemas from the core.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.merge(gridwork_core::sync::openapi::SyncSchemas::openapi());
    doc
}
