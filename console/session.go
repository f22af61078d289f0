package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/beianwatch/beianwatch/auth"
	"github.com/beianwatch/beianwatch/registry"
)

// Cookie names. The session's is scoped to the console's path.
const (
	sessionCookie    = "bw_session"
	loginCSRFCookie  = "bw_login"
	langCookie       = "bw_lang"
	csrfField        = "csrf"
	maxFormBytes     = 1 << 20
	sessionIDEntropy = 32
)

// user is who a request comes from: the token behind its session.
type user struct {
	auth.Principal
	// csrf is the token every form of the session carries.
	csrf string
	// sessionHash is the registry's key of the session.
	sessionHash string
}

// can reports whether the user's token has scope ("" for any session);
// admin has them all.
func (u *user) can(scope auth.Scope) bool {
	return scope == "" || u.Has(scope)
}

// handler is a console page: it runs with the request's user.
type handler func(w http.ResponseWriter, r *http.Request, u *user)

// withSession runs h for a request with a live session whose token has
// scope; without a session, a GET is sent to the login page and anything
// else gets 401. A POST must carry the session's CSRF token (403
// without it): SameSite=Strict already keeps other sites' forms from
// carrying the cookie, and the token covers browsers that ignore it.
func (c *Console) withSession(scope auth.Scope, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := c.session(r)
		switch {
		case errors.Is(err, registry.ErrNotFound) && r.Method == http.MethodGet:
			http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
			return
		case errors.Is(err, registry.ErrNotFound):
			c.fail(w, r, nil, http.StatusUnauthorized, "err_login")
			return
		case err != nil:
			c.o.Logger.Error("read session", "err", err)
			c.fail(w, r, nil, http.StatusServiceUnavailable, "err_registry")
			return
		}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, c.o.MaxUpload+maxFormBytes)
			if !validCSRF(r, u.csrf) {
				c.fail(w, r, u, http.StatusForbidden, "err_csrf")
				return
			}
		}
		if !u.can(scope) {
			c.fail(w, r, u, http.StatusForbidden, "err_scope")
			return
		}
		h(w, r, u)
	})
}

// validCSRF reports whether the POST's form carries want. A multipart
// form is parsed here, within the body's bound.
func validCSRF(r *http.Request, want string) bool {
	var got string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := r.ParseMultipartForm(maxFormBytes); err != nil {
			return false
		}
		got = r.FormValue(csrfField)
	} else {
		got = r.PostFormValue(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// session returns the request's user, or an error wrapping
// registry.ErrNotFound when it has no live session.
func (c *Console) session(r *http.Request) (*user, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, registry.ErrNotFound
	}
	h := hashID(ck.Value)
	s, err := c.o.Store.SessionAt(r.Context(), h, c.o.Now())
	if err != nil {
		return nil, err
	}
	p := auth.Principal{Name: s.TokenName}
	for _, sc := range s.Scopes {
		p.Scopes = append(p.Scopes, auth.Scope(sc))
	}
	return &user{Principal: p, csrf: csrfFor(ck.Value), sessionHash: h}, nil
}

// hashID is the registry's key of a session id.
func hashID(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// csrfFor is a session's CSRF token: derived from its secret id, so that
// only the holder of the cookie can know it, and nothing more is stored.
func csrfFor(id string) string {
	m := hmac.New(sha256.New, []byte(id))
	m.Write([]byte("beianwatch console csrf"))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// randomID is a fresh unguessable id.
func randomID() string {
	b := make([]byte, sessionIDEntropy)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loginForm shows the login page, with a fresh CSRF token in a cookie and
// in the form (double submit: no session exists yet to derive it from).
func (c *Console) loginForm(w http.ResponseWriter, r *http.Request) {
	c.showLogin(w, r, http.StatusOK, "")
}

func (c *Console) showLogin(w http.ResponseWriter, r *http.Request, status int, errKey string) {
	tok := randomID()
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: tok, Path: Prefix + "login", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	c.render(w, r, nil, status, "login", loginPage{CSRF: tok, Error: errKey})
}

type loginPage struct {
	CSRF  string
	Error string
}

// login starts a session for the token posted in the form.
func (c *Console) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	ck, err := r.Cookie(loginCSRFCookie)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		c.fail(w, r, nil, http.StatusForbidden, "err_csrf")
		return
	}
	secret := strings.TrimSpace(r.PostFormValue("token"))
	tok, err := c.o.Store.VerifyToken(r.Context(), secret)
	switch {
	case errors.Is(err, registry.ErrTokenUnknown) || errors.Is(err, registry.ErrTokenExpired) || secret == "":
		c.showLogin(w, r, http.StatusUnauthorized, "err_bad_token")
		return
	case err != nil:
		c.o.Logger.Error("check login token", "err", err)
		c.fail(w, r, nil, http.StatusServiceUnavailable, "err_registry")
		return
	}
	sid := randomID()
	now := c.o.Now()
	if err := c.o.Store.StartSession(r.Context(), hashID(sid), tok.ID, now, now.Add(c.o.SessionTTL)); err != nil {
		c.o.Logger.Error("start session", "err", err)
		c.fail(w, r, nil, http.StatusServiceUnavailable, "err_registry")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: sid, Path: Prefix, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil, MaxAge: int(c.o.SessionTTL.Seconds())})
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Path: Prefix + "login", MaxAge: -1})
	c.o.Logger.Info("console login", "token", tok.Name)
	http.Redirect(w, r, Prefix, http.StatusSeeOther)
}

// logout ends the session, here and on every replica.
func (c *Console) logout(w http.ResponseWriter, r *http.Request, u *user) {
	if err := c.o.Store.EndSession(r.Context(), u.sessionHash); err != nil {
		c.o.Logger.Error("end session", "err", err)
		c.fail(w, r, u, http.StatusServiceUnavailable, "err_registry")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Path: Prefix, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, Prefix+"login", http.StatusSeeOther)
}

// actor is how the cases' history names a console user.
func (u *user) actor() string { return "console:" + u.Name }
