package org.gridwork.android

import android.Manifest
import android.content.Context
import android.content.Intent
import android.content.pm.PackageManager
import android.os.Build
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.OnBackPressedCallback
import androidx.activity.compose.setContent
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Box
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.material3.CircularProgressIndicator
import androidx.compose.runtime.collectAsState
import androidx.compose.runtime.getValue
import androidx.compose.ui.Alignment
import androidx.compose.ui.Modifier
import androidx.lifecycle.ViewModelProvider
import androidx.lifecycle.lifecycleScope
import com.journeyapps.barcodescanner.ScanContract
import com.journeyapps.barcodescanner.ScanOptions
import kotlinx.coroutines.flow.filterNotNull
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import org.gridwork.android.notify.Notifier
import org.gridwork.android.platform.IntentCamera
import org.gridwork.android.platform.LocationManagerSource
import org.gridwork.app.GridworkApp

/**
 * The one activity: the shared screens (android/ui) in Jetpack Compose.
 * Navigation is the AppModel's back stack; the system back button pops
 * it. A notification's tap arrives as an intent naming the case.
 */
class MainActivity : ComponentActivity() {
    private val viewModel by lazy {
        ViewModelProvider(this, AppViewModel.factory(application as GridworkApplication))[AppViewModel::class.java]
    }

    // Registered while the activity is constructed, as the result API requires.
    private val camera = IntentCamera(this, photosDir = { (application as GridworkApplication).graph.photosDir })
    private val scanQr = registerForActivityResult(ScanContract()) { result ->
        result.contents?.let { text -> viewModel.model.value?.enrol?.onScanned(text) }
    }
    private val askPermissions = registerForActivityResult(ActivityResultContracts.RequestMultiplePermissions()) {
        // Nothing to do either way: without location a visit records "no fix"; without
        // notifications the inbox still fills on every sync.
    }

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        viewModel.camera = camera
        viewModel.start(LocationManagerSource(applicationContext))
        setContent {
            val model by viewModel.model.collectAsState()
            val app = model
            if (app == null) {
                Box(Modifier.fillMaxSize(), contentAlignment = Alignment.Center) { CircularProgressIndicator() }
            } else {
                GridworkApp(app, onScanQr = ::launchScanner)
            }
        }
        onBackPressedDispatcher.addCallback(
            this,
            object : OnBackPressedCallback(true) {
                override fun handleOnBackPressed() {
                    if (viewModel.model.value?.back() != true) {
                        isEnabled = false
                        onBackPressedDispatcher.onBackPressed()
                        isEnabled = true
                    }
                }
            },
        )
        openCaseFrom(intent)
        askForMissingPermissions()
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        openCaseFrom(intent)
    }

    override fun onDestroy() {
        if (viewModel.camera === camera) viewModel.camera = null
        super.onDestroy()
    }

    private fun openCaseFrom(intent: Intent?) {
        val caseId = intent?.getStringExtra(Notifier.EXTRA_CASE_ID) ?: return
        intent.removeExtra(Notifier.EXTRA_CASE_ID)
        // The model may still be opening the store: open the case once it is there.
        lifecycleScope.launch { viewModel.model.filterNotNull().first().openFromNotification(caseId) }
    }

    private fun launchScanner() {
        scanQr.launch(
            ScanOptions()
                .setDesiredBarcodeFormats(ScanOptions.QR_CODE)
                .setPrompt("扫描激活二维码 Scan the activation QR code")
                .setBeepEnabled(false)
                .setOrientationLocked(false),
        )
    }

    private fun askForMissingPermissions() {
        val wanted = buildList {
            add(Manifest.permission.ACCESS_FINE_LOCATION)
            add(Manifest.permission.ACCESS_COARSE_LOCATION)
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.TIRAMISU) add(Manifest.permission.POST_NOTIFICATIONS)
        }.filter { checkSelfPermission(it) != PackageManager.PERMISSION_GRANTED }
        if (wanted.isNotEmpty()) askPermissions.launch(wanted.toTypedArray())
    }

    companion object {
        /** The intent a notification carries: open the app on [caseId]. */
        fun openCaseIntent(context: Context, caseId: String): Intent =
            Intent(context, MainActivity::class.java)
                .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_SINGLE_TOP)
                .putExtra(Notifier.EXTRA_CASE_ID, caseId)
    }
}
