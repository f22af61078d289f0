// Package crawler fetches the pages that checker judges, safely: it
// connects only to public addresses unless told otherwise (checked on the
// address actually dialled, for every redirect hop), follows a bounded
// number of redirects, and bounds time and body size, decompressed or not.
package crawler
