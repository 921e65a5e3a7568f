//! Loading a generated area into a store the way an administrator does:
//! GeoJSON and CSV files through the importers, people through the user API.

use gridwork_core::import::TableFormat;
use gridwork_core::store::{ImportMode, ImportReport};
use gridwork_core::Store;

use crate::area::Area;
use crate::SimError;

/// The importers' reports.
#[derive(Debug, Clone)]
pub struct LoadReport {
    pub regions: ImportReport,
    pub households: ImportReport,
    pub members: ImportReport,
}

/// Load `area` into `store`, importing as `admin` (created first).
pub fn load_area(store: &Store, area: &Area) -> Result<LoadReport, SimError> {
    let admin = area
        .users
        .iter()
        .find(|u| u.role == gridwork_core::user::Role::Administrator)
        .ok_or_else(|| SimError::Setup("the area has no administrator".into()))?;
    store.upsert_user(admin)?;
    store.install_default_templates()?;
    let regions =
        store.import_regions_geojson(&admin.id, &area.geojson(), ImportMode::AllOrNothing)?;
    for u in &area.users {
        store.upsert_user(u)?;
    }
    for a in &area.assignments {
        store.set_assignment(a)?;
    }
    let households = store.import_households(
        &admin.id,
        area.households_csv().as_bytes(),
        TableFormat::Csv,
        ImportMode::AllOrNothing,
    )?;
    let members = store.import_members(
        &admin.id,
        area.members_csv().as_bytes(),
        TableFormat::Csv,
        ImportMode::AllOrNothing,
    )?;
    Ok(LoadReport {
        regions,
        households,
        members,
    })
}
