"""Add what a district would have after months of use: photos, audit events, call-backs, tokens, sessions."""
import base64, io, uuid, random
from datetime import timedelta
from PIL import Image
import sqlalchemy as sa
from relief import create_app
from relief.extensions import db
from relief.models import User, Pairing, PairingKind
from relief.dates import today
from relief.auth.services import issue_token

app = create_app({"DATABASE_URL": "sqlite:////tmp/rel1/release1.db", "SECRET_KEY": "x",
                  "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
def photo(seed):
    rnd = random.Random(seed)
    img = Image.new("RGB", (800, 600), (rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    for _ in range(20):
        x, y = rnd.randrange(700), rnd.randrange(500)
        img.paste((rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)), (x, y, x + 100, y + 100))
    out = io.BytesIO(); img.save(out, "JPEG", quality=85); return base64.b64encode(out.getvalue()).decode()

with app.app_context():
    cadre_user = db.session.scalar(sa.select(User).where(User.username == "demo-cadre"))
    token = issue_token(cadre_user); db.session.commit()
    hh = db.session.scalars(sa.select(Pairing.household_id).where(Pairing.cadre_id == cadre_user.cadre_id,
            Pairing.kind == PairingKind.HOUSEHOLD, Pairing.ended_on.is_(None))).all()
    client = app.test_client()
    for i in range(6):
        r = client.post("/api/v1/visits", headers={"Authorization": f"Bearer {token}"}, json={
            "client_uuid": str(uuid.uuid4()), "household_id": hh[i % len(hh)],
            "visited_on": (today() - timedelta(days=i)).isoformat(), "kind": "routine",
            "notes": f"第{i}次走访，了解家庭近况", "aid_yuan": 100 * i, "lat": 33.95, "lng": 118.33, "accuracy_m": 12,
            "photos": [photo(i), photo(100 + i)], "demands": [{"text": "希望介绍就近务工岗位"}] if i % 2 else []})
        print(r.status_code, end=" ")
    r = client.post("/login", data={"username": "demo-admin", "password": "demo password 1"})
    print("login", r.status_code)
runner = app.test_cli_runner()
r = runner.invoke(args=["relief", "callbacks", "draw"]); print(r.output[-300:])
csv = "乡镇,村,年度,集体经济收入(万元)\n"
with app.app_context():
    from relief.models import Village, Township
    for v, t in db.session.execute(sa.select(Village.name, Township.name).join(Township).where(Village.is_weak).limit(5)):
        csv += f"{t},{v},{today().year - 2},9.5\n"
open("/tmp/rel1/inc.csv", "w").write(csv)
r = runner.invoke(args=["relief", "import", "incomes", "/tmp/rel1/inc.csv"]); print(r.output[-300:])
