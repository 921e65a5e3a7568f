package org.gridwork.android

import android.app.Application
import androidx.work.Configuration

/**
 * The process: builds the graph, creates the notification channels, and
 * gives WorkManager the factory that hands workers the open store.
 */
class GridworkApplication : Application(), Configuration.Provider {
    lateinit var graph: AppGraph
        private set

    override fun onCreate() {
        super.onCreate()
        graph = AppGraph(this)
        graph.notifier.createChannels()
    }

    override val workManagerConfiguration: Configuration
        get() = Configuration.Builder().setWorkerFactory(graph.workerFactory).build()
}
