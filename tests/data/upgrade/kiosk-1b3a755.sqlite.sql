BEGIN TRANSACTION;
CREATE TABLE _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL);
INSERT INTO "_migrations" VALUES('m001_initial','2026-12-04T19:23:15.575+00:00');
INSERT INTO "_migrations" VALUES('m002_receipts','2026-12-04T19:23:15.578+00:00');
INSERT INTO "_migrations" VALUES('m003_officers','2026-12-04T19:23:15.582+00:00');
INSERT INTO "_migrations" VALUES('m004_tablets','2026-12-04T19:23:15.586+00:00');
INSERT INTO "_migrations" VALUES('m005_pin_attempts','2026-12-04T19:23:15.594+00:00');
INSERT INTO "_migrations" VALUES('m006_officer_verifiers','2026-12-04T19:23:15.595+00:00');
CREATE TABLE "abandonments" (
           "id" TEXT PRIMARY KEY, "counter" TEXT, "service" TEXT, "reached" TEXT, "step" INTEGER,
           "started_at" TEXT, "abandoned_at" TEXT);
INSERT INTO "abandonments" VALUES('947d7822-c3f5-e5b5-48bc-2bdf2af95c42','1','kk','u3',3,'2026-11-28T09:00:00+07:00','2026-11-28T09:02:00+07:00');
CREATE TABLE "counter_services" (
           "counter" TEXT REFERENCES "counters"("code"),
           "service" TEXT REFERENCES "services"("code"),
           "position" INTEGER,
           PRIMARY KEY ("counter", "service"));
INSERT INTO "counter_services" VALUES('1','kk',0);
INSERT INTO "counter_services" VALUES('1','ktp',1);
INSERT INTO "counter_services" VALUES('2','kk',0);
CREATE TABLE "counters" ("code" TEXT PRIMARY KEY, "name" TEXT, "position" INTEGER);
INSERT INTO "counters" VALUES('1','Loket 1',0);
INSERT INTO "counters" VALUES('2','Loket 2',1);
CREATE TABLE "officers" ("nip" TEXT PRIMARY KEY, "name" TEXT, "pin_hash" TEXT, "pin_verifier" TEXT);
INSERT INTO "officers" VALUES('198001012005011001','Petugas 001',NULL,'sealed1$pbkdf2:sha256:1000$WaiZrho1zHgdJJek$1457279876253d98d05ad280659266a383ce174be63a54b5f474c8c32beb1d64');
INSERT INTO "officers" VALUES('198502022010012002','Petugas 002',NULL,'sealed1$pbkdf2:sha256:1000$xYYLBsG3ElUQJ8uo$7c94ba95caa7c1271a99dc92467f141ebf874f22f16a575f163c8e746978565f');
CREATE TABLE "pin_attempts" (
           "key" TEXT PRIMARY KEY, "failures" INTEGER NOT NULL, "paused_until" REAL NOT NULL);
INSERT INTO "pin_attempts" VALUES('officer:198502022010012002',1,0.0);
CREATE TABLE "receipts" (
           "nonce" TEXT PRIMARY KEY, "counter" TEXT NOT NULL, "service" TEXT NOT NULL,
           "issued_at" INTEGER NOT NULL, "sync_state" TEXT DEFAULT 'pending');
INSERT INTO "receipts" VALUES('r000','1','kk',1790000000,'synced');
INSERT INTO "receipts" VALUES('r001','1','kk',1790000001,'synced');
INSERT INTO "receipts" VALUES('r002','1','kk',1790000002,'pending');
INSERT INTO "receipts" VALUES('r003','1','kk',1790000003,'pending');
INSERT INTO "receipts" VALUES('r004','1','kk',1790000004,'pending');
CREATE TABLE "responses" (
           "id" TEXT PRIMARY KEY, "seq" INTEGER NOT NULL, "kiosk_id" TEXT, "unit" TEXT,
           "service" TEXT NOT NULL, "counter" TEXT NOT NULL, "officer" TEXT, "channel" TEXT DEFAULT 'kiosk',
           "questionnaire_version" TEXT,
           "persyaratan" INTEGER NOT NULL, "prosedur" INTEGER NOT NULL, "waktu" INTEGER NOT NULL,
           "biaya" INTEGER NOT NULL, "produk" INTEGER NOT NULL, "kompetensi" INTEGER NOT NULL,
           "perilaku" INTEGER NOT NULL, "pengaduan" INTEGER NOT NULL, "sarana" INTEGER NOT NULL,
           "jenis_kelamin" TEXT, "usia" TEXT, "pendidikan" TEXT, "pekerjaan" TEXT,
           "comment" TEXT, "started_at" TEXT, "submitted_at" TEXT NOT NULL, "duration_ms" INTEGER,
           "suspect" INTEGER DEFAULT 0, "suspect_reason" TEXT,
           "sync_state" TEXT DEFAULT 'pending', "synced_at" TEXT, "sync_note" TEXT);
INSERT INTO "responses" VALUES('b48438b5-c41f-4dfd-acb8-5f3f4a24e39a',1,NULL,'dumai-disdukcapil','ktp','1','198001012005011001','kiosk','permenpanrb-14-2017/1',2,3,4,1,4,3,4,3,1,NULL,'60+','S3','TNI',NULL,'2026-10-17T13:23:02.120+07:00','2026-10-17T13:23:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('cd425ec3-8f13-4999-8869-510db4a02517',2,NULL,'dumai-disdukcapil','kk','1','198502022010012002','kiosk','permenpanrb-14-2017/1',4,2,1,1,2,3,4,2,4,'P','60+','SMA','Lainnya','Petugas ramah','2026-09-26T10:56:02.120+07:00','2026-09-26T10:56:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('c0855ac9-e599-4358-8d3a-2dc6925b1ec9',3,NULL,'dumai-disdukcapil','ktp','1','198001012005011001','kiosk','permenpanrb-14-2017/1',4,3,4,2,4,3,2,4,3,'L','50-59','S2','PNS','Antrean lama','2026-11-11T07:23:02.120+07:00','2026-11-11T07:23:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('590ad570-eaa1-48c3-8ebf-6be1a897b98f',4,NULL,'dumai-disdukcapil','ktp','1','198001012005011001','kiosk','permenpanrb-14-2017/1',3,2,4,4,3,3,2,2,3,'L','40-49','S1','Swasta',NULL,'2026-09-09T10:16:02.120+07:00','2026-09-09T10:16:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('7c22ca48-e8f8-446d-b71e-77b2fc9e4dc6',5,NULL,'dumai-disdukcapil','kk','1',NULL,'kiosk','permenpanrb-14-2017/1',4,4,1,3,4,4,1,4,4,'L','20-29','S1','TNI',NULL,'2026-08-10T11:47:02.120+07:00','2026-08-10T11:47:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('cf8f95c3-50c5-438c-ab91-4b43e3c44e83',6,NULL,'dumai-disdukcapil','ktp','1','198001012005011001','kiosk','permenpanrb-14-2017/1',3,4,2,1,3,3,1,4,4,'L','50-59','SMP','Wirausaha',NULL,'2026-10-02T15:51:02.120+07:00','2026-10-02T15:51:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('961ec5f9-7c9f-432c-a340-5e87b990dea6',7,NULL,'dumai-disdukcapil','ktp','1','198502022010012002','kiosk','permenpanrb-14-2017/1',3,4,4,4,1,4,2,4,3,'L','40-49','S2',NULL,NULL,'2026-10-09T09:03:02.120+07:00','2026-10-09T09:03:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('f6e0d40d-5428-4803-9510-12f6e4b841e6',8,NULL,'dumai-disdukcapil','kk','1',NULL,'kiosk','permenpanrb-14-2017/1',3,4,3,3,3,3,3,4,3,'P','50-59','SMP','Wirausaha',NULL,'2026-11-20T07:03:02.120+07:00','2026-11-20T07:03:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('811704ed-db0c-4b9f-b210-12ae76b0de6f',9,NULL,'dumai-disdukcapil','kk','1',NULL,'kiosk','permenpanrb-14-2017/1',4,4,4,2,3,3,3,2,4,'P',NULL,'S2','TNI',NULL,'2026-09-07T15:28:02.120+07:00','2026-09-07T15:28:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('4d296c8c-e7f5-44d3-b5d2-069378c221be',10,NULL,'dumai-disdukcapil','kk','1','198001012005011001','kiosk','permenpanrb-14-2017/1',2,4,4,3,1,2,4,2,4,'L','60+','SD','TNI','Antrean lama','2026-08-17T07:07:02.120+07:00','2026-08-17T07:07:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('c00a6ca8-8697-4302-81e8-9b18e9b61816',11,NULL,'dumai-disdukcapil','ktp','1','198001012005011001','kiosk','permenpanrb-14-2017/1',1,2,1,1,3,3,3,2,3,'L','50-59','D1-D3','Swasta','Antrean lama','2026-11-12T15:25:02.120+07:00','2026-11-12T15:25:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('33474ab9-af53-4e08-8f7e-0dfe6ba4ea41',12,NULL,'dumai-disdukcapil','ktp','1','198502022010012002','kiosk','permenpanrb-14-2017/1',3,3,4,4,3,3,2,4,4,NULL,'40-49','SMA','Lainnya',NULL,'2026-08-09T10:43:02.120+07:00','2026-08-09T10:43:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('f4e9c81d-4814-4373-a189-e1b6df880909',13,NULL,'dumai-disdukcapil','ktp','1','198001012005011001','kiosk','permenpanrb-14-2017/1',4,3,3,1,3,3,4,4,3,NULL,NULL,NULL,NULL,NULL,'2026-11-18T12:51:02.120+07:00','2026-11-18T12:51:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('a2ae0e90-01cb-4d37-9f59-6e4230e6aed7',14,NULL,'dumai-disdukcapil','kk','1','198502022010012002','kiosk','permenpanrb-14-2017/1',4,2,4,2,4,4,3,3,2,'P','<20','S1','POLRI','Petugas ramah','2026-10-08T14:32:02.120+07:00','2026-10-08T14:32:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('9325b34f-ebf9-4b63-9356-0663dd09b785',15,NULL,'dumai-disdukcapil','kk','1','198502022010012002','kiosk','permenpanrb-14-2017/1',2,1,1,3,3,3,3,4,3,NULL,'40-49','S3','POLRI',NULL,'2026-10-05T11:24:02.120+07:00','2026-10-05T11:24:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('95018ebd-91a2-41a4-9e75-987f0901e271',16,NULL,'dumai-disdukcapil','kk','1','198502022010012002','kiosk','permenpanrb-14-2017/1',1,1,4,4,4,4,3,1,3,'P',NULL,'SMA',NULL,'Petugas ramah','2026-10-21T10:00:02.120+07:00','2026-10-21T10:00:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('61366b43-d78f-4442-a227-95fec3adc540',17,NULL,'dumai-disdukcapil','kk','1','198502022010012002','kiosk','permenpanrb-14-2017/1',1,3,3,1,4,3,4,4,1,'P',NULL,'SMP','TNI',NULL,'2026-09-07T12:14:02.120+07:00','2026-09-07T12:14:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('55a22787-7c6c-43ae-a0e1-927666df283b',18,NULL,'dumai-disdukcapil','kk','1','198502022010012002','kiosk','permenpanrb-14-2017/1',4,3,3,4,2,4,2,4,1,'P','<20','SMA','Swasta',NULL,'2026-09-25T13:43:02.120+07:00','2026-09-25T13:43:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('1fd97937-db6b-4386-8937-6484258b1b72',19,NULL,'dumai-disdukcapil','ktp','1','198502022010012002','kiosk','permenpanrb-14-2017/1',2,2,3,4,1,3,4,3,1,'P','50-59','S1',NULL,NULL,'2026-09-05T10:16:02.120+07:00','2026-09-05T10:16:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('b43f9397-125a-49ee-ab12-fab99c9fff03',20,NULL,'dumai-disdukcapil','kk','1','198502022010012002','kiosk','permenpanrb-14-2017/1',3,4,3,4,3,4,2,2,3,'P','40-49',NULL,'POLRI','Petugas ramah','2026-10-01T15:34:02.120+07:00','2026-10-01T15:34:31.877+07:00',29757,0,NULL,'synced','2026-11-28T10:00:00.000+07:00',NULL);
INSERT INTO "responses" VALUES('d9fed810-261c-47cc-89a7-748284c1e163',21,NULL,'dumai-disdukcapil','ktp','1','198001012005011001','kiosk','permenpanrb-14-2017/1',4,4,2,2,1,4,2,1,1,'P','20-29','D1-D3','Wirausaha','Petugas ramah','2026-08-08T07:22:02.120+07:00','2026-08-08T07:22:31.877+07:00',29757,0,NULL,'pending',NULL,NULL);
INSERT INTO "responses" VALUES('23f591ff-189d-45d4-85fd-feb81b303e40',22,NULL,'dumai-disdukcapil','ktp','1','198001012005011001','kiosk','permenpanrb-14-2017/1',3,1,3,3,4,3,4,2,4,'L','40-49','SD','Lainnya','Petugas ramah','2026-08-27T11:37:02.120+07:00','2026-08-27T11:37:31.877+07:00',29757,0,NULL,'pending',NULL,NULL);
INSERT INTO "responses" VALUES('0ea42538-c404-42bf-ad24-ba6b758fde2f',23,NULL,'dumai-disdukcapil','ktp','1','198001012005011001','kiosk','permenpanrb-14-2017/1',4,1,4,3,4,2,1,4,1,'L',NULL,'SMP','Lainnya','Antrean lama','2026-10-11T15:47:02.120+07:00','2026-10-11T15:47:31.877+07:00',29757,0,NULL,'pending',NULL,NULL);
INSERT INTO "responses" VALUES('1ba1bbcb-15d8-44da-8b59-9ac86b5f98a1',24,NULL,'dumai-disdukcapil','ktp','1','198001012005011001','kiosk','permenpanrb-14-2017/1',4,4,4,4,1,3,4,3,4,NULL,'60+','S3','Wirausaha',NULL,'2026-10-05T10:47:02.120+07:00','2026-10-05T10:47:31.877+07:00',29757,0,NULL,'pending',NULL,NULL);
INSERT INTO "responses" VALUES('ca584cfc-5094-4cb8-b88c-87025140173a',25,NULL,'dumai-disdukcapil','kk','1',NULL,'kiosk','permenpanrb-14-2017/1',2,3,4,4,3,4,4,3,4,NULL,'<20','D1-D3','PNS',NULL,'2026-09-08T12:42:02.120+07:00','2026-09-08T12:42:31.877+07:00',29757,0,NULL,'pending',NULL,NULL);
INSERT INTO "responses" VALUES('0bbabc36-b4ca-4711-a2e6-fa096daf69ce',26,NULL,'dumai-disdukcapil','kk','1','198001012005011001','kiosk','permenpanrb-14-2017/1',1,4,3,1,4,3,1,3,3,NULL,'50-59','S2','Wirausaha',NULL,'2026-10-02T11:53:02.120+07:00','2026-10-02T11:53:31.877+07:00',29757,0,NULL,'pending',NULL,NULL);
INSERT INTO "responses" VALUES('2338732c-e5ed-4ff2-861b-f81520d769c8',27,NULL,'dumai-disdukcapil','ktp','1',NULL,'kiosk','permenpanrb-14-2017/1',3,1,4,4,2,2,3,4,4,NULL,'60+','S3','PNS','Antrean lama','2026-11-19T14:07:02.120+07:00','2026-11-19T14:07:31.877+07:00',29757,0,NULL,'pending',NULL,NULL);
INSERT INTO "responses" VALUES('f64c000b-3894-4512-b9de-d7ac2666180e',28,NULL,'dumai-disdukcapil','ktp','1',NULL,'kiosk','permenpanrb-14-2017/1',3,3,1,1,4,4,2,3,2,'L','40-49','D1-D3','POLRI',NULL,'2026-11-05T07:20:02.120+07:00','2026-11-05T07:20:31.877+07:00',29757,0,NULL,'pending',NULL,NULL);
INSERT INTO "responses" VALUES('0209cc52-640e-4ae8-8229-2b5242cbe9c0',29,NULL,'dumai-disdukcapil','ktp','1','198502022010012002','kiosk','permenpanrb-14-2017/1',1,3,4,3,3,2,2,3,2,NULL,'<20','D1-D3','POLRI','Antrean lama','2026-10-24T11:28:02.120+07:00','2026-10-24T11:28:31.877+07:00',29757,0,NULL,'pending',NULL,NULL);
INSERT INTO "responses" VALUES('9b544630-fa90-4579-9360-fc62edf98a0d',30,NULL,'dumai-disdukcapil','kk','1','198502022010012002','kiosk','permenpanrb-14-2017/1',2,1,1,4,4,4,3,4,4,'P','50-59','SD','PNS',NULL,'2026-09-17T09:54:02.120+07:00','2026-09-17T09:54:31.877+07:00',29757,0,NULL,'pending',NULL,NULL);
CREATE TABLE "services" ("code" TEXT PRIMARY KEY, "name" TEXT);
INSERT INTO "services" VALUES('kk','Kartu Keluarga');
INSERT INTO "services" VALUES('ktp','KTP-el');
CREATE TABLE "settings" ("key" TEXT PRIMARY KEY, "value" TEXT);
INSERT INTO "settings" VALUES('unit_code','dumai-disdukcapil');
INSERT INTO "settings" VALUES('unit_name','Disdukcapil');
INSERT INTO "settings" VALUES('unit_timezone','Asia/Jakarta');
CREATE TABLE "shifts" (
           "id" INTEGER PRIMARY KEY, "nip" TEXT NOT NULL, "counter" TEXT NOT NULL,
           "started_at" TEXT NOT NULL, "ended_at" TEXT);
INSERT INTO "shifts" VALUES(1,'198001012005011001','1','2026-11-28T08:00:00.000+07:00',NULL);
CREATE TABLE "tablets" (
           "id" TEXT PRIMARY KEY, "counter" TEXT, "unsent" INTEGER NOT NULL, "last_seen" TEXT NOT NULL);
INSERT INTO "tablets" VALUES('tablet-loket-1','1',2,'2026-11-28T10:05:00.000+07:00');
INSERT INTO "tablets" VALUES('tablet-loket-2','2',0,'2026-11-28T10:06:00.000+07:00');
CREATE UNIQUE INDEX "idx_responses_seq" ON "responses" ("seq");
CREATE INDEX "idx_responses_sync_state_seq" ON "responses" ("sync_state", "seq");
CREATE INDEX "idx_responses_counter_submitted_at" ON "responses" ("counter", "submitted_at");
CREATE INDEX "idx_receipts_sync_state" ON "receipts" ("sync_state");
CREATE INDEX "idx_shifts_counter_ended_at" ON "shifts" ("counter", "ended_at");
COMMIT;
