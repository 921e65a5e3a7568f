package org.gridwork.app.sync

import java.time.Instant
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.update
import kotlinx.coroutines.launch
import org.gridwork.app.AppSession
import org.gridwork.app.UiText
import org.gridwork.core.ConflictRecord
import org.gridwork.core.GridworkException
import org.gridwork.core.NetworkPolicy
import org.gridwork.core.UploadQueueStatus

data class SyncUiState(
    val pendingOperations: ULong = 0u,
    val lastSyncedAt: Instant? = null,
    val queue: UploadQueueStatus? = null,
    val conflicts: List<ConflictRecord> = emptyList(),
    /** Free bytes where the store and photos live (the platform's figure). */
    val freeBytes: Long? = null,
    val syncing: Boolean = false,
    val message: UiText? = null,
) {
    /** Photos are kept until uploaded: warn before the phone fills up. */
    val storageLow: Boolean get() = freeBytes != null && freeBytes < LOW_STORAGE_BYTES

    companion object {
        const val LOW_STORAGE_BYTES = 300L * 1024 * 1024
    }
}

/**
 * 同步 Sync and photos: what waits (operations, photos with each one's
 * state and the core's reason), conflicts with what won and why, retry now,
 * the network policy for photos, and a warning when storage runs low.
 */
class SyncModel(
    private val session: AppSession,
    private val scope: CoroutineScope,
    /** The folder the store and its photos are in, for the free-space figure. */
    private val storeDir: java.io.File? = null,
) {
    private val _state = MutableStateFlow(SyncUiState())
    val state: StateFlow<SyncUiState> = _state.asStateFlow()

    init {
        refresh()
    }

    fun refresh(message: UiText? = null) {
        scope.launch {
            try {
                val (pending, last, queue, conflicts) = session.call {
                    Quad(pendingOperations(), lastSyncedAt(), uploadQueueStatus(), conflicts(false))
                }
                val free = storeDir?.usableSpace
                _state.update {
                    it.copy(pendingOperations = pending, lastSyncedAt = last, queue = queue, conflicts = conflicts, freeBytes = free, message = message)
                }
            } catch (e: GridworkException) {
                _state.update { it.copy(message = UiText.of(e)) }
            }
        }
    }

    fun syncNow() {
        if (_state.value.syncing) return
        _state.update { it.copy(syncing = true, message = null) }
        scope.launch {
            val failure = try {
                session.store.sync(null)
                session.store.uploadEvidence(null, null)
                null
            } catch (e: GridworkException) {
                UiText.of(e)
            }
            _state.update { it.copy(syncing = false) }
            refresh(failure)
        }
    }

    fun retryUploads() {
        scope.launch {
            runCatching { session.call { retryUploadsNow() } }
            syncNow()
        }
    }

    fun setPolicy(policy: NetworkPolicy) {
        scope.launch {
            try {
                session.call { setUploadNetworkPolicy(policy) }
                refresh()
            } catch (e: GridworkException) {
                _state.update { it.copy(message = UiText.of(e)) }
            }
        }
    }

    fun markSeen(conflictId: String) {
        scope.launch {
            runCatching { session.call { markConflictSeen(conflictId) } }
            refresh()
        }
    }

    private data class Quad<A, B, C, D>(val a: A, val b: B, val c: C, val d: D)
}
