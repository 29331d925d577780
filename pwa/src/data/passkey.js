// WebAuthn in the browser: JSON options from the server in, credential JSON out.
// Uses the browser's own JSON helpers where present (Chromium 129+), else converts by hand.
function b64uToBytes(s) {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
}

function bytesToB64u(buf) {
  let s = '';
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function creationOptions(json) {
  if (PublicKeyCredential.parseCreationOptionsFromJSON) return PublicKeyCredential.parseCreationOptionsFromJSON(json);
  return {
    ...json,
    challenge: b64uToBytes(json.challenge),
    user: { ...json.user, id: b64uToBytes(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map((c) => ({ ...c, id: b64uToBytes(c.id) })),
  };
}

function requestOptions(json) {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) return PublicKeyCredential.parseRequestOptionsFromJSON(json);
  return { ...json, challenge: b64uToBytes(json.challenge), allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: b64uToBytes(c.id) })) };
}

function credentialJson(cred) {
  if (cred.toJSON) return cred.toJSON();
  const r = cred.response;
  const response = r.attestationObject
    ? { clientDataJSON: bytesToB64u(r.clientDataJSON), attestationObject: bytesToB64u(r.attestationObject), transports: r.getTransports ? r.getTransports() : [] }
    : { clientDataJSON: bytesToB64u(r.clientDataJSON), authenticatorData: bytesToB64u(r.authenticatorData), signature: bytesToB64u(r.signature),
        userHandle: r.userHandle ? bytesToB64u(r.userHandle) : null };
  return { id: cred.id, rawId: bytesToB64u(cred.rawId), type: cred.type, response, clientExtensionResults: cred.getClientExtensionResults(),
    authenticatorAttachment: cred.authenticatorAttachment };
}

export function passkeysSupported() {
  return typeof window.PublicKeyCredential === 'function';
}

export async function createPasskey(optionsJson) {
  return credentialJson(await navigator.credentials.create({ publicKey: creationOptions(optionsJson) }));
}

export async function usePasskey(optionsJson) {
  return credentialJson(await navigator.credentials.get({ publicKey: requestOptions(optionsJson) }));
}
