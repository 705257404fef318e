// The one screen: renders UiState, hosts the WebView, receives App Links. Everything it does
// with a URL or a state is decided by the controller (and so by the core).
package dev.obauth.sample.android

import android.annotation.SuppressLint
import android.content.ActivityNotFoundException
import android.content.Intent
import android.net.Uri
import android.os.Bundle
import android.view.View
import android.webkit.WebView
import android.widget.Button
import android.widget.ProgressBar
import android.widget.TextView
import android.widget.Toast
import androidx.activity.ComponentActivity
import androidx.activity.viewModels
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import dev.obauth.sample.R
import dev.obauth.sample.core.DeepLinkResult
import dev.obauth.sample.core.ExpiryText
import dev.obauth.sample.core.UiState
import kotlinx.coroutines.launch

class MainActivity : ComponentActivity() {
    private val model: SignInViewModel by viewModels()
    private lateinit var status: TextView
    private lateinit var progress: ProgressBar
    private lateinit var primary: Button
    private lateinit var secondary: Button
    private lateinit var webView: WebView

    /** The auth URL the WebView was given; later pages are the bank's own navigation. */
    private var loadedUrl: String? = null

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(R.layout.activity_main)
        status = findViewById(R.id.status)
        progress = findViewById(R.id.progress)
        primary = findViewById(R.id.primary)
        secondary = findViewById(R.id.secondary)
        webView = findViewById(R.id.web_view)
        configureWebView()
        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.STARTED) { model.ui.collect(::render) }
        }
        // Not on re-creation, nor from Recents: that would hand over an old redirect again.
        val fromHistory = (intent.flags and Intent.FLAG_ACTIVITY_LAUNCHED_FROM_HISTORY) != 0
        if (savedInstanceState == null && !fromHistory) handleLink(intent)
    }

    /** launchMode="singleTask": an App Link reaches the running Activity here. */
    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        handleLink(intent)
    }

    @SuppressLint("SetJavaScriptEnabled")
    private fun configureWebView() {
        webView.settings.apply {
            javaScriptEnabled = true // the bank pages need it
            domStorageEnabled = true // localStorage: the provider recommends it for WebViews
            allowFileAccess = false
            allowContentAccess = false
            setSupportMultipleWindows(false) // target=_blank stays in this WebView
        }
        webView.webViewClient = SignInWebViewClient(model::onNavigation, ::openExternally)
    }

    /** The bank's app, a phone number, a BankID link: whatever the OS can open. */
    private fun openExternally(url: String) {
        try {
            startActivity(Intent(Intent.ACTION_VIEW, Uri.parse(url)).addCategory(Intent.CATEGORY_BROWSABLE))
        } catch (e: ActivityNotFoundException) {
            toast(getString(R.string.no_app_for_link))
        }
    }

    private fun handleLink(intent: Intent?) {
        if (intent?.action != Intent.ACTION_VIEW) return
        val url = intent.dataString ?: return
        when (val result = model.onDeepLink(url)) {
            DeepLinkResult.Handled, DeepLinkResult.NotOurs, is DeepLinkResult.Ignored -> Unit
            DeepLinkResult.NoLoginInProgress -> toast(getString(R.string.no_sign_in_in_progress))
            is DeepLinkResult.Rejected -> toast(getString(R.string.link_rejected, result.detail))
        }
    }

    private fun render(state: UiState) {
        val showWeb = state is UiState.ShowWebView
        webView.visibility = if (showWeb) View.VISIBLE else View.GONE
        progress.visibility = if (state is UiState.Loading) View.VISIBLE else View.GONE
        status.visibility = if (showWeb) View.GONE else View.VISIBLE
        if (!showWeb && loadedUrl != null) {
            webView.stopLoading()
            loadedUrl = null
        }
        primary.isEnabled = true
        when (state) {
            UiState.Idle -> {
                status.text = getString(R.string.idle)
                show(primary, getString(R.string.sign_in)) { model.signIn() }
                hide(secondary)
            }
            is UiState.Loading -> {
                status.text = state.message
                hide(primary)
                show(secondary, getString(R.string.cancel)) { model.cancel() }
            }
            is UiState.ShowWebView -> {
                if (loadedUrl != state.url) {
                    loadedUrl = state.url
                    webView.loadUrl(state.url)
                }
                hide(primary)
                show(secondary, getString(R.string.cancel)) { model.cancel() }
            }
            is UiState.Success -> {
                status.text = getString(
                    R.string.signed_in,
                    state.providerId,
                    ExpiryText.describe(state.sessionExpires),
                    ExpiryText.describe(state.loginExpires),
                )
                show(primary, getString(R.string.sign_out)) { model.signOut() }
                hide(secondary)
            }
            is UiState.Error -> {
                status.text = getString(R.string.error, state.message, state.code)
                val label = state.retryLabel
                if (label == null) hide(primary) else show(primary, label) { model.retry() }
                // Honour the provider's Retry-After before offering the retry.
                state.retryAfterMs?.let { wait ->
                    primary.isEnabled = false
                    primary.postDelayed({ primary.isEnabled = true }, wait)
                }
                show(secondary, getString(R.string.close)) { model.signOut() }
            }
        }
    }

    private fun show(button: Button, label: String, action: () -> Unit) {
        button.text = label
        button.visibility = View.VISIBLE
        button.setOnClickListener { action() }
    }

    private fun hide(button: Button) {
        button.visibility = View.GONE
    }

    private fun toast(text: String) = Toast.makeText(this, text, Toast.LENGTH_LONG).show()
}
