// The panel's HTML: a strict Content Security Policy with a fresh nonce, every resource through
// asWebviewUri, and the bundle loaded synchronously so that the toolkit's theme listener starts
// before the window's `load` event (docs: webview-toolkit-csp.md).
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function nonce(): string {
  return randomBytes(18).toString('base64url');
}

export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, n: string = nonce()): string {
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css'));
  // VS Code's icon font (copied there by scripts/build.mjs); its @font-face is allowed by font-src.
  const codicons = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'codicons', 'codicon.css'));
  const csp = [`default-src 'none'`, `style-src ${webview.cspSource} 'nonce-${n}'`, `script-src 'nonce-${n}'`, `font-src ${webview.cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta property="csp-nonce" content="${n}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" id="vscode-codicon-stylesheet" href="${codicons.toString()}" nonce="${n}">
<link rel="stylesheet" href="${style.toString()}" nonce="${n}">
<title>Ensemble</title>
</head>
<body>
<main id="app" aria-live="off"><p class="muted">Loading Ensemble…</p></main>
<script nonce="${n}" src="${script.toString()}"></script>
</body>
</html>`;
}
