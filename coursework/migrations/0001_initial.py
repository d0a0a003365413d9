# The whole schema in one step, squashed again on 2026-12-06 while nothing was deployed (the
# earlier migrations only built it up). The counters' triggers are installed
# after every migrate (coursework/cache_triggers.py), not here.

import coursework.models
import django.core.validators
import django.db.models.deletion
import django.db.models.functions.datetime
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Assignment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(unique=True)),
                ('title', models.CharField(max_length=200)),
                ('kind', models.CharField(choices=[('notebook', 'Notebook (technical project)'), ('essays', 'Essays (non-technical project)'), ('synthesis', 'Synthesis questions')], default='notebook', max_length=20)),
                ('due_at', models.DateTimeField(blank=True, null=True)),
                ('full_credit_accuracy', models.FloatField(default=0.9)),
                ('zero_credit_accuracy', models.FloatField(default=0.1)),
                ('environment', models.CharField(default='numpy', help_text='The kernel environment notebooks run with: numpy or pytorch.', max_length=40)),
                ('limits', models.JSONField(blank=True, default=dict)),
                ('daily_submission_limit', models.PositiveIntegerField(default=10)),
                ('private_revealed', models.BooleanField(default=False)),
                ('flag_accuracy_above', models.FloatField(blank=True, help_text="A fraction, e.g. 0.992; empty for the site's default.", null=True, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(1)])),
                ('solution_at_full_credit', models.BooleanField(blank=True, help_text='Offer the solution notebook before the due date to a student whose graded submission reaches full credit (after the due date it is offered to everyone).', null=True)),
                ('late_policy', models.CharField(choices=[('accept', 'Accept late work, marked late'), ('penalty', 'Accept late work with a penalty per day late'), ('close', 'Accept late work until a lock date, then refuse it')], default='accept', max_length=10)),
                ('late_penalty_per_day', models.FloatField(default=0.1, validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(1)])),
                ('lock_at', models.DateTimeField(blank=True, null=True)),
                ('anonymous_review', models.BooleanField(default=True, help_text="Hide students' names in this task's review queue and pages; a TA can show one (for an appeal or an integrity case), which is audited.")),
            ],
        ),
        migrations.CreateModel(
            name='ContentVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='EssayPrompt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('order', models.PositiveIntegerField(unique=True)),
                ('text', models.TextField()),
            ],
            options={
                'ordering': ['order'],
            },
        ),
        migrations.CreateModel(
            name='Heartbeat',
            fields=[
                ('name', models.CharField(max_length=40, primary_key=True, serialize=False)),
                ('seen_at', models.DateTimeField()),
                ('host', models.CharField(blank=True, max_length=200)),
            ],
        ),
        migrations.CreateModel(
            name='Page',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('slug', models.SlugField(unique=True)),
                ('title', models.CharField(max_length=200)),
                ('kind', models.CharField(choices=[('overview', 'overview'), ('reading', 'reading'), ('video', 'video'), ('project', 'project'), ('archive', 'archive')], max_length=20)),
                ('order', models.PositiveIntegerField(default=0)),
                ('body', models.TextField(help_text='Markdown. Figures: [[figure:network]], [[figure:flatten]].')),
                ('video_url', models.URLField(blank=True)),
                ('video_minutes', models.PositiveIntegerField(blank=True, null=True)),
                ('source_hash', models.CharField(blank=True, max_length=64)),
                ('loaded_body_hash', models.CharField(blank=True, max_length=64)),
            ],
            options={
                'ordering': ['order'],
            },
        ),
        migrations.CreateModel(
            name='QueuesVersion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='StandingsVersion',
            fields=[
                ('assignment', models.OneToOneField(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='standings', serialize=False, to='coursework.assignment')),
                ('version', models.BigIntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name='EssaySubmission',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('score', models.FloatField(blank=True, null=True)),
                ('max_score', models.FloatField(blank=True, null=True)),
                ('rubric', models.JSONField(blank=True, default=dict)),
                ('feedback_only', models.BooleanField(default=False)),
                ('ta_feedback', models.TextField(blank=True)),
                ('review_version', models.PositiveIntegerField(default=0)),
                ('version', models.PositiveIntegerField()),
                ('submitted_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('late', models.BooleanField(default=False)),
                ('days_late', models.PositiveIntegerField(default=0)),
                ('status', models.CharField(choices=[('submitted', 'Submitted'), ('reviewed', 'Reviewed'), ('resubmit', 'resubmission requested')], default='submitted', max_length=10)),
                ('reviewer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='%(class)s_reviews', to=settings.AUTH_USER_MODEL)),
                ('student', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='essay_submissions', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-version'],
            },
        ),
        migrations.CreateModel(
            name='Essay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField()),
                ('meaningful_words', models.PositiveIntegerField()),
                ('source_name', models.CharField(blank=True, max_length=200)),
                ('prompt', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, to='coursework.essayprompt')),
                ('submission', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='essays', to='coursework.essaysubmission')),
            ],
            options={
                'ordering': ['prompt__order'],
            },
        ),
        migrations.CreateModel(
            name='Notification',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('graded', 'Notebook graded'), ('failed', 'Notebook failed'), ('reviewed', 'Review posted'), ('resubmit', 'Resubmission requested'), ('flag', 'Flag decided'), ('appeal', 'Appeal answered'), ('appealed', 'Appeal filed')], max_length=10)),
                ('event_key', models.CharField(max_length=150, unique=True)),
                ('title', models.CharField(max_length=200)),
                ('body', models.TextField(blank=True)),
                ('url', models.CharField(blank=True, max_length=300)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('read_at', models.DateTimeField(blank=True, null=True)),
                ('email_status', models.CharField(choices=[('pending', 'Pending'), ('sending', 'Sending'), ('sent', 'Sent'), ('skipped', 'Skipped'), ('failed', 'Failed')], default='pending', max_length=10)),
                ('email_attempts', models.PositiveIntegerField(default=0)),
                ('email_next_try_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('email_claimed_at', models.DateTimeField(blank=True, null=True)),
                ('emailed_at', models.DateTimeField(blank=True, null=True)),
                ('email_error', models.TextField(blank=True)),
                ('recipient', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at', '-pk'],
            },
        ),
        migrations.CreateModel(
            name='QuestionSet',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('optional', models.BooleanField(default=False)),
                ('page', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='question_set', to='coursework.page')),
            ],
        ),
        migrations.CreateModel(
            name='Question',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('order', models.PositiveIntegerField()),
                ('text', models.TextField()),
                ('bonus', models.BooleanField(default=False)),
                ('answer_check', models.CharField(blank=True, choices=coursework.models.answer_checks, default='', max_length=20)),
                ('question_set', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='questions', to='coursework.questionset')),
            ],
            options={
                'ordering': ['order'],
            },
        ),
        migrations.CreateModel(
            name='ReviewClaim',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('target_id', models.PositiveBigIntegerField()),
                ('claimed_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('expires_at', models.DateTimeField()),
                ('holder', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='review_claims', to=settings.AUTH_USER_MODEL)),
                ('target_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
            ],
        ),
        migrations.CreateModel(
            name='ReviewDraft',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('target_id', models.PositiveBigIntegerField()),
                ('fields', models.JSONField(default=dict)),
                ('saved_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('reviewer', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='review_drafts', to=settings.AUTH_USER_MODEL)),
                ('target_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
            ],
        ),
        migrations.CreateModel(
            name='RubricCriterion',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('order', models.PositiveIntegerField(default=0)),
                ('name', models.CharField(max_length=100, verbose_name='title')),
                ('description', models.TextField(blank=True, max_length=2000)),
                ('max_points', models.PositiveIntegerField(default=2, validators=[django.core.validators.MinValueValidator(1), django.core.validators.MaxValueValidator(100)])),
                ('bonus', models.BooleanField(default=False)),
                ('assignment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rubric', to='coursework.assignment')),
                ('question_set', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='rubric', to='coursework.questionset')),
            ],
            options={
                'ordering': ['order', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='RubricComment',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('order', models.PositiveIntegerField(default=0)),
                ('text', models.TextField(max_length=2000)),
                ('criterion', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='comments', to='coursework.rubriccriterion')),
            ],
            options={
                'ordering': ['order', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='RubricLevel',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('points', models.FloatField(validators=[django.core.validators.MinValueValidator(0)])),
                ('title', models.CharField(max_length=100)),
                ('description', models.TextField(blank=True, max_length=1000)),
                ('criterion', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='levels', to='coursework.rubriccriterion')),
            ],
            options={
                'ordering': ['-points', 'pk'],
            },
        ),
        migrations.CreateModel(
            name='StudyGroup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=100, unique=True)),
                ('ta', models.ForeignKey(blank=True, help_text="Their work lands in this TA's queues by default.", limit_choices_to={'is_staff': True}, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='groups_led', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['name'],
            },
        ),
        migrations.CreateModel(
            name='Profile',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('display_name', models.CharField(max_length=80)),
                ('leaderboard_alias', models.CharField(max_length=40, unique=True)),
                ('show_name_on_leaderboard', models.BooleanField(default=False)),
                ('email_notifications', models.BooleanField(default=True, verbose_name='E-mail me when my work is graded, reviewed or answered')),
                ('user', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='profile', to=settings.AUTH_USER_MODEL)),
                ('group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='members', to='coursework.studygroup')),
            ],
        ),
        migrations.CreateModel(
            name='Extension',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('due_at', models.DateTimeField()),
                ('reason', models.CharField(blank=True, max_length=500)),
                ('granted_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('assignment', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='extensions', to='coursework.assignment')),
                ('granted_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('student', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='extensions', to=settings.AUTH_USER_MODEL)),
                ('group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='extensions', to='coursework.studygroup')),
            ],
            options={
                'ordering': ['assignment', '-granted_at'],
            },
        ),
        migrations.CreateModel(
            name='Submission',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('notebook', models.FileField(upload_to='notebooks/%Y/%m/')),
                ('original_name', models.CharField(max_length=255)),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('running', 'Running'), ('graded', 'Graded'), ('failed', 'Failed'), ('error', 'Error')], default='queued', max_length=10)),
                ('message', models.TextField(blank=True)),
                ('accuracy', models.FloatField(blank=True, null=True)),
                ('public_accuracy', models.FloatField(blank=True, null=True)),
                ('private_accuracy', models.FloatField(blank=True, null=True)),
                ('score', models.FloatField(blank=True, null=True)),
                ('feedback', models.JSONField(blank=True, default=dict)),
                ('flagged', models.BooleanField(default=False)),
                ('flag_reason', models.TextField(blank=True)),
                ('log_tail', models.TextField(blank=True)),
                ('executed_html', models.FileField(blank=True, upload_to='feedback/%Y/%m/')),
                ('executed_notebook', models.FileField(blank=True, upload_to='feedback/%Y/%m/')),
                ('render_status', models.CharField(choices=[('done', 'Done'), ('pending', 'Pending'), ('rendering', 'Rendering'), ('failed', 'Failed')], default='done', max_length=10)),
                ('render_attempts', models.PositiveIntegerField(default=0)),
                ('render_next_try_at', models.DateTimeField(blank=True, null=True)),
                ('render_heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('render_problem', models.TextField(blank=True)),
                ('confusion_png', models.FileField(blank=True, upload_to='feedback/%Y/%m/')),
                ('gallery_png', models.FileField(blank=True, upload_to='feedback/%Y/%m/')),
                ('public_gallery_png', models.FileField(blank=True, null=True, upload_to='feedback/%Y/%m/')),
                ('attempts', models.PositiveIntegerField(default=0)),
                ('attempt_floor', models.PositiveIntegerField(default=0)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('queued_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now())),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('started_at', models.DateTimeField(blank=True, null=True)),
                ('heartbeat_at', models.DateTimeField(blank=True, null=True)),
                ('finished_at', models.DateTimeField(blank=True, null=True)),
                ('run_seconds', models.FloatField(blank=True, null=True)),
                ('peak_memory_mb', models.FloatField(blank=True, null=True)),
                ('late', models.BooleanField(default=False)),
                ('days_late', models.PositiveIntegerField(default=0)),
                ('refunded_at', models.DateTimeField(blank=True, null=True)),
                ('flag_resolution', models.CharField(blank=True, max_length=10)),
                ('flag_resolved_at', models.DateTimeField(blank=True, null=True)),
                ('purpose', models.CharField(choices=[('graded', 'graded upload'), ('check', 'pre-flight check')], default='graded', max_length=10)),
                ('final_marked_at', models.DateTimeField(blank=True, null=True)),
                ('assignment', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='submissions', to='coursework.assignment')),
                ('flag_resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('queued_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('student', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='submissions', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='SynthesisResponse',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('reviewed_at', models.DateTimeField(blank=True, null=True)),
                ('score', models.FloatField(blank=True, null=True)),
                ('max_score', models.FloatField(blank=True, null=True)),
                ('rubric', models.JSONField(blank=True, default=dict)),
                ('feedback_only', models.BooleanField(default=False)),
                ('ta_feedback', models.TextField(blank=True)),
                ('review_version', models.PositiveIntegerField(default=0)),
                ('status', models.CharField(choices=[('draft', 'Draft'), ('submitted', 'Submitted'), ('reviewed', 'Reviewed'), ('resubmit', 'resubmission requested')], default='draft', max_length=10)),
                ('saved_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('submitted_at', models.DateTimeField(blank=True, null=True)),
                ('late', models.BooleanField(default=False)),
                ('days_late', models.PositiveIntegerField(default=0)),
                ('question_set', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='responses', to='coursework.questionset')),
                ('reviewer', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='%(class)s_reviews', to=settings.AUTH_USER_MODEL)),
                ('student', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='synthesis_responses', to=settings.AUTH_USER_MODEL)),
            ],
        ),
        migrations.CreateModel(
            name='Answer',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('text', models.TextField(blank=True)),
                ('question', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='coursework.question')),
                ('response', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='answers', to='coursework.synthesisresponse')),
            ],
        ),
        migrations.CreateModel(
            name='UploadToken',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(max_length=60)),
                ('digest', models.CharField(max_length=64, unique=True)),
                ('prefix', models.CharField(max_length=12)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('last_used_at', models.DateTimeField(blank=True, null=True)),
                ('revoked_at', models.DateTimeField(blank=True, null=True)),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='upload_tokens', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['-created_at'],
            },
        ),
        migrations.CreateModel(
            name='Appeal',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('target_id', models.PositiveBigIntegerField()),
                ('what', models.CharField(max_length=200)),
                ('reason', models.TextField(max_length=2000)),
                ('status', models.CharField(choices=[('open', 'Open'), ('answered', 'Answered')], default='open', max_length=10)),
                ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                ('filed_against', models.JSONField(default=dict)),
                ('answer', models.TextField(blank=True, max_length=4000)),
                ('outcome', models.CharField(blank=True, choices=[('changed', 'The result was changed'), ('unchanged', 'The result stands')], max_length=10)),
                ('answered_at', models.DateTimeField(blank=True, null=True)),
                ('answered_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('student', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='appeals', to=settings.AUTH_USER_MODEL)),
                ('target_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
            ],
            options={
                'ordering': ['-created_at'],
                'indexes': [models.Index(fields=['status', 'created_at'], name='appeal_queue'), models.Index(fields=['target_type', 'target_id'], name='appeal_by_target'), models.Index(fields=['student', '-created_at'], name='appeal_by_student')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('target_type', 'target_id'), name='one_open_appeal_per_item')],
            },
        ),
        migrations.CreateModel(
            name='AuditEvent',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('at', models.DateTimeField(default=django.utils.timezone.now)),
                ('action', models.CharField(max_length=40)),
                ('target_id', models.PositiveBigIntegerField()),
                ('changes', models.JSONField(default=dict)),
                ('actor', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('student', models.ForeignKey(null=True, on_delete=django.db.models.deletion.CASCADE, related_name='audit_events', to=settings.AUTH_USER_MODEL)),
                ('target_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='contenttypes.contenttype')),
            ],
            options={
                'ordering': ['-at'],
                'indexes': [models.Index(fields=['target_type', 'target_id', '-at'], name='audit_by_target')],
            },
        ),
        migrations.AddIndex(
            model_name='essaysubmission',
            index=models.Index(fields=['status', 'submitted_at', 'id'], name='essay_queue'),
        ),
        migrations.AddConstraint(
            model_name='essaysubmission',
            constraint=models.UniqueConstraint(fields=('student', 'version'), name='essay_version_unique'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(fields=['recipient', '-created_at'], name='notification_inbox'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('read_at__isnull', True)), fields=['recipient'], name='notification_unread'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('email_status__in', ['pending', 'sending'])), fields=['email_status', 'email_next_try_at'], name='notification_outbox'),
        ),
        migrations.AddConstraint(
            model_name='question',
            constraint=models.UniqueConstraint(fields=('question_set', 'order'), name='question_order_unique'),
        ),
        migrations.AddConstraint(
            model_name='reviewclaim',
            constraint=models.UniqueConstraint(fields=('target_type', 'target_id'), name='one_claim_per_item'),
        ),
        migrations.AddConstraint(
            model_name='reviewdraft',
            constraint=models.UniqueConstraint(fields=('reviewer', 'target_type', 'target_id'), name='one_draft_per_reviewer_and_item'),
        ),
        migrations.AddIndex(
            model_name='rubriccriterion',
            index=models.Index(fields=['assignment', 'question_set', 'order'], name='rubric_of_task'),
        ),
        migrations.AddConstraint(
            model_name='extension',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('group__isnull', True), ('student__isnull', False)), models.Q(('group__isnull', False), ('student__isnull', True)), _connector='OR'), name='extension_for_a_student_or_a_group'),
        ),
        migrations.AddConstraint(
            model_name='extension',
            constraint=models.UniqueConstraint(condition=models.Q(('student__isnull', False)), fields=('assignment', 'student'), name='one_extension_per_student'),
        ),
        migrations.AddConstraint(
            model_name='extension',
            constraint=models.UniqueConstraint(condition=models.Q(('group__isnull', False)), fields=('assignment', 'group'), name='one_extension_per_group'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['assignment', 'status', 'student', '-public_accuracy', 'created_at'], name='leaderboard_public'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['assignment', 'status', 'student', '-private_accuracy', 'created_at'], name='leaderboard_private'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['assignment', 'status', 'student', 'created_at', 'id'], name='leaderboard_ladder'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['assignment', 'finished_at'], name='submission_latest_grade'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['-created_at', '-id'], name='submission_newest_first'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(condition=models.Q(('status__in', ('failed', 'error')), models.Q(('flag_resolution', ''), ('flagged', True)), _connector='OR'), fields=['created_at', 'id'], name='notebook_problems'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['status', 'heartbeat_at'], name='submission_status_heartbeat'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['student', '-created_at'], name='submission_student_recent'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(fields=['queued_at', 'queued_by'], name='submission_dispatch_turns'),
        ),
        migrations.AddIndex(
            model_name='submission',
            index=models.Index(condition=models.Q(('render_status__in', ['pending', 'rendering'])), fields=['render_status', 'render_next_try_at'], name='submission_pages_owed'),
        ),
        migrations.AddIndex(
            model_name='synthesisresponse',
            index=models.Index(fields=['status', 'submitted_at', 'id'], name='synthesis_queue'),
        ),
        migrations.AddConstraint(
            model_name='synthesisresponse',
            constraint=models.UniqueConstraint(fields=('student', 'question_set'), name='one_response_per_set'),
        ),
        migrations.AddConstraint(
            model_name='answer',
            constraint=models.UniqueConstraint(fields=('response', 'question'), name='one_answer_per_question'),
        ),
    ]
