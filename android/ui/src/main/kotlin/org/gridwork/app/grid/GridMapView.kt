package org.gridwork.app.grid

import androidx.compose.foundation.Canvas
import androidx.compose.foundation.layout.aspectRatio
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.material3.MaterialTheme
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.geometry.Offset
import androidx.compose.ui.graphics.Path
import androidx.compose.ui.graphics.drawscope.Stroke
import androidx.compose.ui.platform.testTag
import androidx.compose.ui.semantics.contentDescription
import androidx.compose.ui.semantics.semantics
import kotlin.math.cos
import kotlin.math.max
import org.gridwork.core.DueState
import org.gridwork.core.GridMap

/**
 * The grid's boundary and places, drawn from the core's coordinates alone:
 * with no tile source (offline, or none configured) the worker still sees
 * the shape of the grid and where the due households are. A tile layer,
 * when there is one, goes under this in the same coordinate system.
 */
@Composable
fun GridMapView(map: GridMap, description: String, modifier: Modifier = Modifier) {
    val boundary = MaterialTheme.colorScheme.primary
    val due = MaterialTheme.colorScheme.error
    val notDue = MaterialTheme.colorScheme.secondary
    Canvas(
        modifier.fillMaxWidth().aspectRatio(1f).testTag("grid.map").semantics { contentDescription = description },
    ) {
        val sw = map.southWest
        val ne = map.northEast
        // Equirectangular with the latitude's scale: right for a grid a few
        // kilometres across.
        val kx = cos(Math.toRadians((sw.lat + ne.lat) / 2))
        val spanX = max((ne.lon - sw.lon) * kx, 1e-9)
        val spanY = max(ne.lat - sw.lat, 1e-9)
        val pad = size.minDimension * 0.06f
        val scale = minOf((size.width - 2 * pad) / spanX, (size.height - 2 * pad) / spanY)
        fun at(lat: Double, lon: Double) = Offset(
            (pad + (lon - sw.lon) * kx * scale).toFloat(),
            (size.height - pad - (lat - sw.lat) * scale).toFloat(),
        )
        for (ring in map.rings) {
            if (ring.isEmpty()) continue
            val path = Path()
            ring.forEachIndexed { i, p -> at(p.lat, p.lon).let { if (i == 0) path.moveTo(it.x, it.y) else path.lineTo(it.x, it.y) } }
            path.close()
            drawPath(path, boundary.copy(alpha = 0.08f))
            drawPath(path, boundary, style = Stroke(width = 2.dpPx(density)))
        }
        val r = 5.dpPx(density)
        for (place in map.places) {
            val isDue = place.row.due !is DueState.Upcoming
            drawCircle(if (isDue) due else notDue, radius = r, center = at(place.point.lat, place.point.lon))
        }
    }
}

private fun Int.dpPx(density: Float) = this * density
