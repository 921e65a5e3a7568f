package org.gridwork.core

import java.io.File
import java.time.Instant
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow
import kotlinx.coroutines.flow.flowOn
import kotlinx.coroutines.withContext

/*
 * Idiomatic Kotlin over the generated bindings, for the Android app.
 * Nothing here decides anything: rules, labels and allowed actions come
 * from the core. These helpers only move calls off the main thread and
 * shape results for Compose.
 */

/** Run a blocking store call on [dispatcher] (default: IO). Every store call blocks. */
suspend fun <T> GridworkStore.io(
    dispatcher: CoroutineDispatcher = Dispatchers.IO,
    block: GridworkStore.() -> T,
): T = withContext(dispatcher) { block() }

/**
 * Every household of a grid matching [filter], page by page (due ones
 * first), as a cold Flow for a lazy list. Stops after the last page.
 */
fun GridworkStore.householdRows(
    gridCode: String,
    filter: HouseholdFilter = HouseholdFilter(query = null, tag = null, kind = null, dueOnly = false),
    pageSize: UInt = 50u,
    dispatcher: CoroutineDispatcher = Dispatchers.IO,
): Flow<HouseholdRow> = flow {
    var offset = 0u
    while (true) {
        val page = households(gridCode, filter, offset, pageSize)
        page.rows.forEach { emit(it) }
        offset += page.rows.size.toUInt()
        if (page.rows.isEmpty() || offset >= page.total) break
    }
}.flowOn(dispatcher)

/** Whether the case screen should show the button for [action]. */
fun CaseDetail.can(action: ActionKind): Boolean = action in allowedActions

/** True once the countdown has run out (the core's countdown, not the phone's clock). */
val CaseRow.isOverdue: Boolean get() = (countdownSecs ?: 0L) < 0L

/** A location fix as the platform reported it; defaults to "now". */
fun locationFix(
    lat: Double,
    lon: Double,
    accuracyM: Double,
    provider: String = "gps",
    mock: Boolean = false,
    at: Instant = Instant.now(),
) = LocationFix(lat = lat, lon = lon, accuracyM = accuracyM, provider = provider, mock = mock, at = at)

/** A JPEG the camera wrote, ready to attach. */
fun jpegPhoto(file: File, itemCode: String? = null, fix: LocationFix? = null, takenAt: Instant = Instant.now()) =
    PhotoInput(itemCode = itemCode, path = file.absolutePath, mediaType = "image/jpeg", takenAt = takenAt, fix = fix)

/**
 * What to show a person for an error: the core's reason (Chinese first,
 * English alongside), and for invalid input the field it belongs to.
 */
val GridworkException.userMessage: String
    get() = when (this) {
        is GridworkException.Invalid -> reason
        is GridworkException.NotPermitted -> reason
        is GridworkException.NotFound -> "未找到 / not found: $entity"
        is GridworkException.Conflict -> "$reason（请刷新 / refresh and try again）"
        is GridworkException.Storage -> "存储出错 / storage problem: $reason"
        is GridworkException.Network -> "网络不可用，稍后自动重试 / offline, will retry: $reason"
        is GridworkException.Platform -> "系统功能出错 / platform problem: $reason"
    }

/** The field an error belongs to, for highlighting a form input. */
val GridworkException.invalidField: String?
    get() = (this as? GridworkException.Invalid)?.field
