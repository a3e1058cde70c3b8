// The supervisors' login: a token request whose answer also sets the codec's session cookie
// (HttpOnly, sent to /codec only). The token in the answer is not kept by this page.
"use strict";
(function () {
  const form = document.getElementById("login");
  const username = document.getElementById("username");
  const password = document.getElementById("password");
  const status = document.getElementById("status");

  function say(text, ok) {
    status.textContent = text;
    status.className = ok ? "ok" : "error";
  }

  async function detail(answer, fallback) {
    try {
      const body = await answer.json();
      return typeof body.detail === "string" ? body.detail : fallback;
    } catch (error) {
      return fallback;
    }
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const data = new URLSearchParams({
      grant_type: "password",
      username: username.value,
      password: password.value,
    });
    password.value = "";
    say("Connexion…", true);
    let answer;
    try {
      answer = await fetch("auth/token", { method: "POST", body: data, credentials: "same-origin" });
    } catch (error) {
      say("L'API ne répond pas : réessayez dans un instant.", false);
      return;
    }
    if (!answer.ok) {
      say(await detail(answer, "Connexion refusée."), false);
      return;
    }
    // The cookie is what the Temporal UI will send: check that the codec accepts it.
    const check = await fetch("codec/decode", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ payloads: [] }),
      credentials: "same-origin",
    });
    if (check.ok) {
      say(
        "Connecté(e) : l'interface Temporal peut maintenant déchiffrer les historiques des " +
          "parcours de vos départements, jusqu'à la fin de la session.",
        true,
      );
    } else if (check.status === 403) {
      say(
        "Connecté(e), mais votre rôle ne permet pas de déchiffrer les historiques " +
          "(réservé aux coordinateurs).",
        false,
      );
    } else {
      say(await detail(check, "Connecté(e), mais le déchiffrement est indisponible."), false);
    }
  });
})();
