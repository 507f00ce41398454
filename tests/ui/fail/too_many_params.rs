use actix_web::HttpRequest;
use stateless_auth::token_required;

#[token_required]
async fn index(
    r1: HttpRequest,
    r2: HttpRequest,
    r3: HttpRequest,
    r4: HttpRequest,
    r5: HttpRequest,
    r6: HttpRequest,
    r7: HttpRequest,
    r8: HttpRequest,
    r9: HttpRequest,
    r10: HttpRequest,
    r11: HttpRequest,
    r12: HttpRequest,
    r13: HttpRequest,
    r14: HttpRequest,
    r15: HttpRequest,
    r16: HttpRequest,
    r17: HttpRequest,
    r18: HttpRequest,
) -> usize {
    [
        r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15, r16, r17, r18,
    ]
    .len()
}

fn main() {
    let _ = index;
}
